// Every record's current customer (records without one are left out).
MATCH (r:Record)-[:BELONGS_TO]->(c:Customer)
RETURN r.key AS record_key, c.id AS customer_id
