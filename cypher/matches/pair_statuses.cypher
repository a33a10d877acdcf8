// Current status of given record pairs (canonical order); pairs never scored are absent.
// params: pairs: [{left_key, right_key}]
UNWIND $pairs AS p
MATCH (a:Record {key: p.left_key})-[m:CANDIDATE_MATCH]->(b:Record {key: p.right_key})
RETURN a.key AS left_key, b.key AS right_key, m.status AS status
