// The interaction facts of each customer (the identifiers its records hold), compacted: one
// row per aggregate whose last_at is at or after $since (windowed rules look at those one by
// one; `part` names the identifier and item), and per type and category one row (`part`
// "") summing the older ones: count, weight and spend (count x item price, the weight
// without a price) summed, first_at the earliest, last_at the latest. Rules with windows no
// longer than now - $since, all-time rules and RFM read the same totals as from every
// aggregate, in a fraction of the rows. With `categories` (lower-case names), items of other
// categories count as having none: only rules naming a category look at it.
// params: ids, since (epoch ms), categories (a list, or null to keep every category)
UNWIND $ids AS id
MATCH (:Customer {id: id})<-[:BELONGS_TO]-(:Record)-[:HAS_ID]->(i:Identifier)
WITH DISTINCT id, i
MATCH (i)-[x:INTERACTED]->(it:Item)
WITH id, x, it, CASE WHEN x.last_at >= $since THEN i.key + ' ' + it.id ELSE '' END AS part,
     CASE WHEN $categories IS NULL OR toLower(trim(it.category)) IN $categories
          THEN it.category ELSE null END AS category
WITH id, x.type AS type, category, part, sum(x.count) AS count,
     sum(x.weight) AS weight, min(x.first_at) AS first_at, max(x.last_at) AS last_at,
     sum(CASE WHEN it.price IS NULL THEN x.weight ELSE x.count * it.price END) AS spend
RETURN id AS customer_id, type, category, part, count, weight, first_at, last_at, spend
ORDER BY customer_id, type, category, part
