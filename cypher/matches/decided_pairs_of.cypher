// Steward decisions that involve any of the given records.
// params: keys
UNWIND $keys AS k
MATCH (a:Record {key: k})-[m:CANDIDATE_MATCH]-(b:Record)
WHERE m.status IN ['approved', 'rejected']
RETURN DISTINCT startNode(m).key AS left_key, endNode(m).key AS right_key, m.status AS status
