// Records by key for identity resolution, with their identifier keys and current customer.
// params: keys
UNWIND $keys AS k
MATCH (r:Record {key: k})
OPTIONAL MATCH (r)-[:HAS_ID]->(i:Identifier)
WITH r, collect(i.key) AS identifiers
OPTIONAL MATCH (r)-[:BELONGS_TO]->(c:Customer)
RETURN r.key AS key, r.source AS source, r.updated_at AS updated_at,
       r.first_name AS first_name, r.last_name AS last_name,
       r.date_of_birth AS date_of_birth, r.address AS address, r.postcode AS postcode,
       r.city AS city, r.country AS country, r.email_local AS email_local,
       r.national_id AS national_id, r.pii AS pii,
       identifiers, c.id AS customer_id
