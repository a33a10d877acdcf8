// The interaction facts of identifiers pooled into customers (seen with their identifiers,
// held by no record; identifiers/seen_with_customers finds them), compacted as in
// segments/customer_interactions: per identifier, one row per aggregate whose last_at is at
// or after $since (`part` names the identifier and item), and per type and category one row
// (`part` "") summing the older ones; items of categories not in `categories` count as
// having none.
// params: keys, since (epoch ms), categories (a list, or null to keep every category)
UNWIND $keys AS key
MATCH (:Identifier {key: key})-[x:INTERACTED]->(it:Item)
WITH key, x, it, CASE WHEN x.last_at >= $since THEN key + ' ' + it.id ELSE '' END AS part,
     CASE WHEN $categories IS NULL OR toLower(trim(it.category)) IN $categories
          THEN it.category ELSE null END AS category
WITH key, x.type AS type, category, part, sum(x.count) AS count, sum(x.weight) AS weight,
     min(x.first_at) AS first_at, max(x.last_at) AS last_at,
     sum(CASE WHEN it.price IS NULL THEN x.weight ELSE x.count * it.price END) AS spend
RETURN key, type, category, part, count, weight, first_at, last_at, spend
ORDER BY key, type, category, part
