// Records that could be the same person as a new record, with what resolution needs of each
// (identifier keys, current customer): those sharing an identifier, a name key (either
// order: two blocks), a date of birth, a postcode or an email local part.
// A block (one identifier, or one key) of more than $limit records is over-shared — a
// placeholder such as x@x.com or 1900-01-01 — and left out whole: any $limit of its records
// would be arbitrary ones, and scoring them was most of a slow record's time. A block is
// read up to $over (= $limit + 1) records, no further.
// One query instead of keys, then records: each round trip costs more than the traversal.
// (`WITH shared` makes FalkorDB start from the identifier index instead of scanning
// records. The subquery returns keys, not nodes: FalkorDB 4 does not bind a node returned
// by a UNION subquery in the patterns after it.) Blocking keys are keyed hashes when
// personal data is encrypted (privacy/protected_store).
// params: key, identifier_keys, name_key, swapped_name_key, dob_key, postcode_key,
//         email_local, limit, over
CALL {
  MATCH (shared:Identifier)
  WHERE shared.key IN $identifier_keys
  WITH shared
  MATCH (shared)<-[:HAS_ID]-(r:Record)
  WITH shared, collect(r.key) AS block
  WHERE size(block) <= $limit
  UNWIND block AS found
  WITH DISTINCT found WHERE found <> $key
  RETURN found
  UNION
  MATCH (r:Record)
  WHERE r.name_key = $name_key
  WITH r LIMIT $over
  WITH collect(r.key) AS block
  WHERE size(block) <= $limit
  UNWIND block AS found
  WITH found WHERE found <> $key
  RETURN found
  UNION
  MATCH (r:Record)
  WHERE r.name_key = $swapped_name_key
  WITH r LIMIT $over
  WITH collect(r.key) AS block
  WHERE size(block) <= $limit
  UNWIND block AS found
  WITH found WHERE found <> $key
  RETURN found
  UNION
  MATCH (r:Record)
  WHERE r.dob_key = $dob_key
  WITH r LIMIT $over
  WITH collect(r.key) AS block
  WHERE size(block) <= $limit
  UNWIND block AS found
  WITH found WHERE found <> $key
  RETURN found
  UNION
  MATCH (r:Record)
  WHERE r.postcode_key = $postcode_key
  WITH r LIMIT $over
  WITH collect(r.key) AS block
  WHERE size(block) <= $limit
  UNWIND block AS found
  WITH found WHERE found <> $key
  RETURN found
  UNION
  MATCH (r:Record)
  WHERE r.email_local = $email_local
  WITH r LIMIT $over
  WITH collect(r.key) AS block
  WHERE size(block) <= $limit
  UNWIND block AS found
  WITH found WHERE found <> $key
  RETURN found
}
WITH DISTINCT found AS found_key
MATCH (r:Record {key: found_key})
OPTIONAL MATCH (r)-[:HAS_ID]->(i:Identifier)
WITH r, collect(i.key) AS identifiers
OPTIONAL MATCH (r)-[:BELONGS_TO]->(c:Customer)
RETURN r.key AS key, r.source AS source, r.updated_at AS updated_at,
       r.first_name AS first_name, r.last_name AS last_name,
       r.date_of_birth AS date_of_birth, r.address AS address, r.postcode AS postcode,
       r.city AS city, r.country AS country, r.email_local AS email_local,
       r.national_id AS national_id, r.pii AS pii,
       identifiers, c.id AS customer_id
