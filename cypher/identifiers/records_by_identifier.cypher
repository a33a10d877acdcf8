// The records holding an identifier, with their customers.
// params: key
MATCH (i:Identifier {key: $key})<-[:HAS_ID]-(r:Record)
OPTIONAL MATCH (r)-[:BELONGS_TO]->(c:Customer)
RETURN r.key AS record_key, r.source AS source, c.id AS customer_id
ORDER BY record_key
