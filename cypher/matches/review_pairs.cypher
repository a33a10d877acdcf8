// Candidate pairs of one status for the steward page, with what its filters and sorting
// need: both records' sources and current customers, probability, weight, times.
// params: status, limit
MATCH (a:Record)-[m:CANDIDATE_MATCH]->(b:Record)
WHERE m.status = $status
OPTIONAL MATCH (a)-[:BELONGS_TO]->(ca:Customer)
OPTIONAL MATCH (b)-[:BELONGS_TO]->(cb:Customer)
RETURN a.key AS left_key, b.key AS right_key, a.source AS left_source,
       b.source AS right_source, ca.id AS left_customer, cb.id AS right_customer,
       m.probability AS probability, m.match_weight AS match_weight,
       m.created_at AS created_at, m.decided_by AS decided_by, m.decided_at AS decided_at
ORDER BY left_key, right_key
LIMIT $limit
