// Review-queue pairs touching these records, any status, with the model's evidence.
// params: keys
MATCH (a:Record)-[m:CANDIDATE_MATCH]->(b:Record)
WHERE a.key IN $keys OR b.key IN $keys
RETURN a.key AS left_key, b.key AS right_key, m.probability AS probability,
       m.status AS status, m.evidence AS evidence, m.decided_by AS decided_by,
       m.decided_at AS decided_at
ORDER BY left_key, right_key
