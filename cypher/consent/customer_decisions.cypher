// The consent decisions (for `purposes`) that count for each customer: its own, those of
// customers merged into it (one hop), of every identifier of its records, and of the
// identifiers seen only with them (held by no record; every customer they lead to through
// SEEN_WITH is this one: the identifiers the recommender pools into the customer).
// One row per decision; customers without any are left out. Label-free intermediate nodes:
// see consent/identifier_owners.
// params: ids, purposes
UNWIND $ids AS id
MATCH (c:Customer {id: id})
OPTIONAL MATCH (c)<-[:BELONGS_TO]-()-[:HAS_ID]->(i)
OPTIONAL MATCH (old:Customer {merged_into: id})
WITH id, collect(DISTINCT i.key) + collect(DISTINCT old.id) + [id] AS subjects
UNWIND subjects AS subject
MATCH (k:Consent {subject: subject})
WHERE k.purpose IN $purposes
RETURN id AS customer_id, k.subject AS subject, k.purpose AS purpose, k.granted AS granted,
       k.source AS source, k.at AS at
UNION
UNWIND $ids AS id
MATCH (:Customer {id: id})<-[:BELONGS_TO]-()-[:HAS_ID]->()-[:SEEN_WITH]-(s)
WITH DISTINCT id, s
MATCH (k:Consent {subject: s.key})
WHERE k.purpose IN $purposes
OPTIONAL MATCH (s)<-[:HAS_ID]-(r)
WITH id, s, k, count(r) AS records
WHERE records = 0
MATCH (s)-[:SEEN_WITH]-()<-[:HAS_ID]-()-[:BELONGS_TO]->(o)
WITH id, k, collect(DISTINCT o.id) AS owners
WHERE size(owners) = 1 AND owners[0] = id
RETURN id AS customer_id, k.subject AS subject, k.purpose AS purpose, k.granted AS granted,
       k.source AS source, k.at AS at
