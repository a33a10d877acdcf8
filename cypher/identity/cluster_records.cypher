// What clustering around a new record needs in one read: every record of the given customers
// and the given records, each with its identifier keys, current customer and the steward
// decisions touching it (`decisions`: {key of the other record, status}, approved or
// rejected; {key: null} when there is none). The subquery returns keys, not nodes: FalkorDB 4
// does not bind a node returned by a UNION subquery in the patterns after it.
// params: ids, keys
CALL {
  MATCH (given:Customer)
  WHERE given.id IN $ids
  WITH given
  MATCH (given)<-[:BELONGS_TO]-(r:Record)
  RETURN r.key AS found
  UNION
  MATCH (r:Record)
  WHERE r.key IN $keys
  RETURN r.key AS found
}
WITH DISTINCT found AS found_key
MATCH (r:Record {key: found_key})
OPTIONAL MATCH (r)-[m:CANDIDATE_MATCH]-(o:Record)
WHERE m.status IN ['approved', 'rejected']
WITH r, collect({key: o.key, status: m.status}) AS decisions
OPTIONAL MATCH (r)-[:HAS_ID]->(i:Identifier)
WITH r, decisions, collect(i.key) AS identifiers
OPTIONAL MATCH (r)-[:BELONGS_TO]->(c:Customer)
RETURN r.key AS key, r.source AS source, r.updated_at AS updated_at,
       r.first_name AS first_name, r.last_name AS last_name,
       r.date_of_birth AS date_of_birth, r.address AS address, r.postcode AS postcode,
       r.city AS city, r.country AS country, r.email_local AS email_local,
       r.national_id AS national_id, r.pii AS pii,
       identifiers, c.id AS customer_id, decisions
