// Candidate matches with a status, most uncertain first, paged.
// params: status, skip, limit
MATCH (a:Record)-[m:CANDIDATE_MATCH]->(b:Record)
WHERE m.status = $status
RETURN a.key AS left_key, b.key AS right_key, m.probability AS probability,
       m.match_weight AS match_weight, m.evidence AS evidence, m.status AS status,
       m.created_at AS created_at
ORDER BY abs(m.probability - 0.5), left_key, right_key
SKIP $skip LIMIT $limit
