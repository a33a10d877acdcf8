// One page of records for identity resolution, in key order, with their identifier keys and
// current customer. Paged by SKIP, not by a `r.key > $after` cursor: FalkorDB's string index
// compares case-insensitively while ORDER BY compares bytes, so a key cursor can loop.
// params: skip, limit
MATCH (r:Record)
WITH r ORDER BY r.key SKIP $skip LIMIT $limit
OPTIONAL MATCH (r)-[:HAS_ID]->(i:Identifier)
WITH r, collect(i.key) AS identifiers
OPTIONAL MATCH (r)-[:BELONGS_TO]->(c:Customer)
RETURN r.key AS key, r.source AS source, r.updated_at AS updated_at,
       r.first_name AS first_name, r.last_name AS last_name,
       r.date_of_birth AS date_of_birth, r.address AS address, r.postcode AS postcode,
       r.city AS city, r.country AS country, r.email_local AS email_local,
       r.national_id AS national_id, r.pii AS pii,
       identifiers, c.id AS customer_id
ORDER BY key
