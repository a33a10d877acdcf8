// How many candidate pairs have each status.
MATCH (:Record)-[m:CANDIDATE_MATCH]->(:Record)
RETURN m.status AS status, count(m) AS pairs
ORDER BY status
