// Records by key, each with its identifiers and current customer id.
// params: keys
MATCH (r:Record)
WHERE r.key IN $keys
OPTIONAL MATCH (r)-[:HAS_ID]->(i:Identifier)
WITH r, collect(i.key) AS identifier_keys
OPTIONAL MATCH (r)-[:BELONGS_TO]->(c:Customer)
RETURN r AS record, identifier_keys, c.id AS customer_id
ORDER BY r.key
