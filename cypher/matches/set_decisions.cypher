// Record steward decisions (or their undoing) on record pairs, stored in canonical order
// (left_key < right_key); creates the relationship when the pair was never scored.
// rows: [{left_key, right_key, status, decided_by, reason, at}]
UNWIND $rows AS row
MATCH (a:Record {key: row.left_key})
MATCH (b:Record {key: row.right_key})
MERGE (a)-[m:CANDIDATE_MATCH]->(b)
ON CREATE SET m.created_at = row.at, m.evidence = '{}'
SET m.status = row.status, m.decided_by = row.decided_by, m.decided_at = row.at,
    m.reason = row.reason
