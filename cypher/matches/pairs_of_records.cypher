// Candidate pairs of any status that involve any of the given records, each once, with both
// records' current customers.
// params: keys
UNWIND $keys AS k
MATCH (:Record {key: k})-[m:CANDIDATE_MATCH]-(:Record)
WITH DISTINCT m
WITH m, startNode(m) AS l, endNode(m) AS r
OPTIONAL MATCH (l)-[:BELONGS_TO]->(cl:Customer)
OPTIONAL MATCH (r)-[:BELONGS_TO]->(cr:Customer)
RETURN l.key AS left_key, r.key AS right_key, m.status AS status,
       m.probability AS probability, cl.id AS left_customer, cr.id AS right_customer
ORDER BY left_key, right_key
