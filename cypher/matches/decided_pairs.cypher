// Steward decisions: approved pairs (must link) and rejected pairs (cannot link).
MATCH (a:Record)-[m:CANDIDATE_MATCH]->(b:Record)
WHERE m.status IN ['approved', 'rejected']
RETURN a.key AS left_key, b.key AS right_key, m.status AS status
