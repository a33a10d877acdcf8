// Records that could be the same person as a new record, with what resolution needs of each
// (identifier keys, current customer): those sharing an identifier, a name key (either
// order), a date of birth, a postcode or an email local part. Each block is capped at
// $limit records. One query instead of keys, then records: each round trip costs more than
// the traversal. (`WITH shared` makes FalkorDB start from the identifier index instead of
// scanning records. The subquery returns keys, not nodes: FalkorDB 4 does not bind a node
// returned by a UNION subquery in the patterns after it.) Blocking keys are keyed hashes
// when personal data is encrypted (privacy/protected_store).
// params: key, identifier_keys, name_keys, dob_key, postcode_key, email_local, limit
CALL {
  MATCH (shared:Identifier)
  WHERE shared.key IN $identifier_keys
  WITH shared
  MATCH (shared)<-[:HAS_ID]-(r:Record)
  WHERE r.key <> $key
  WITH DISTINCT r LIMIT $limit
  RETURN r.key AS found
  UNION
  MATCH (r:Record)
  WHERE r.name_key IN $name_keys AND r.key <> $key
  WITH r LIMIT $limit
  RETURN r.key AS found
  UNION
  MATCH (r:Record)
  WHERE r.dob_key = $dob_key AND r.key <> $key
  WITH r LIMIT $limit
  RETURN r.key AS found
  UNION
  MATCH (r:Record)
  WHERE r.postcode_key = $postcode_key AND r.key <> $key
  WITH r LIMIT $limit
  RETURN r.key AS found
  UNION
  MATCH (r:Record)
  WHERE r.email_local = $email_local AND r.key <> $key
  WITH r LIMIT $limit
  RETURN r.key AS found
}
WITH DISTINCT found AS found_key
MATCH (r:Record {key: found_key})
OPTIONAL MATCH (r)-[:HAS_ID]->(i:Identifier)
WITH r, collect(i.key) AS identifiers
OPTIONAL MATCH (r)-[:BELONGS_TO]->(c:Customer)
RETURN r.key AS key, r.source AS source, r.updated_at AS updated_at,
       r.first_name AS first_name, r.last_name AS last_name,
       r.date_of_birth AS date_of_birth, r.address AS address, r.postcode AS postcode,
       r.city AS city, r.country AS country, r.email_local AS email_local, r.pii AS pii,
       identifiers, c.id AS customer_id
