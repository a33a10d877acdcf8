// One page of records for identity resolution, in key order after a cursor, with their
// identifier keys and current customer.
// params: after (key cursor, "" for the first page), limit
MATCH (r:Record)
WHERE r.key > $after
WITH r ORDER BY r.key LIMIT $limit
OPTIONAL MATCH (r)-[:HAS_ID]->(i:Identifier)
WITH r, collect(i.key) AS identifiers
OPTIONAL MATCH (r)-[:BELONGS_TO]->(c:Customer)
RETURN r.key AS key, r.source AS source, r.updated_at AS updated_at,
       r.first_name AS first_name, r.last_name AS last_name,
       r.date_of_birth AS date_of_birth, r.address AS address, r.postcode AS postcode,
       r.city AS city, r.country AS country, r.email_local AS email_local,
       identifiers, c.id AS customer_id
ORDER BY key
