// Record a candidate match between two records (one relationship per ordered pair).
// rows: [{left_key, right_key, probability, match_weight, evidence, status, created_at,
//         decided_by, decided_at}]
UNWIND $rows AS row
MATCH (a:Record {key: row.left_key})
MATCH (b:Record {key: row.right_key})
MERGE (a)-[m:CANDIDATE_MATCH]->(b)
ON CREATE SET m.created_at = row.created_at
SET m.probability = row.probability, m.match_weight = row.match_weight,
    m.evidence = row.evidence, m.status = row.status,
    m.decided_by = row.decided_by, m.decided_at = row.decided_at
