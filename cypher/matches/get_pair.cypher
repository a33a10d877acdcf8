// One candidate pair (keys in canonical order: left_key < right_key) with its evidence and
// decision.
// params: left_key, right_key
MATCH (a:Record {key: $left_key})-[m:CANDIDATE_MATCH]->(b:Record {key: $right_key})
RETURN a.key AS left_key, b.key AS right_key, m.status AS status,
       m.probability AS probability, m.match_weight AS match_weight, m.evidence AS evidence,
       m.created_at AS created_at, m.decided_by AS decided_by, m.decided_at AS decided_at,
       m.reason AS reason
