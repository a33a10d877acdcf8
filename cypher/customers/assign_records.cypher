// Point each record at its customer, replacing any previous assignment.
// rows: [{record_key, customer_id}]
UNWIND $rows AS row
MATCH (r:Record {key: row.record_key})
MATCH (c:Customer {id: row.customer_id})
OPTIONAL MATCH (r)-[old:BELONGS_TO]->(prev:Customer)
WHERE prev.id <> row.customer_id
DELETE old
MERGE (r)-[:BELONGS_TO]->(c)
