// One candidate match (either direction) with both records' attributes side by side.
// params: left_key, right_key
MATCH (a:Record)-[m:CANDIDATE_MATCH]-(b:Record)
WHERE a.key = $left_key AND b.key = $right_key
RETURN startNode(m).key AS left_key, endNode(m).key AS right_key,
       m.probability AS probability, m.match_weight AS match_weight,
       m.evidence AS evidence, m.status AS status, m.created_at AS created_at,
       m.decided_by AS decided_by, m.decided_at AS decided_at
