// Candidate matches with a status, most uncertain first, paged; optional probability range.
// params: status, min_probability (or null), max_probability (or null), skip, limit
MATCH (a:Record)-[m:CANDIDATE_MATCH]->(b:Record)
WHERE m.status = $status
  AND ($min_probability IS NULL OR m.probability >= $min_probability)
  AND ($max_probability IS NULL OR m.probability <= $max_probability)
RETURN a.key AS left_key, b.key AS right_key, m.probability AS probability,
       m.match_weight AS match_weight, m.evidence AS evidence, m.status AS status,
       m.created_at AS created_at, m.decided_by AS decided_by, m.decided_at AS decided_at
ORDER BY abs(m.probability - 0.5), left_key, right_key
SKIP $skip LIMIT $limit
