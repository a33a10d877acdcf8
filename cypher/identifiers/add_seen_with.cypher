// Add co-occurrences of identifiers seen in the same events, only if the log's cursor is
// where the caller expects it (see interactions/add_interactions).
// params: cursor_id, expected; rows: [{a_key, a_type, a_value, b_key, b_type, b_value,
//         count, first_at, last_at}]
MERGE (c:IngestCursor {id: $cursor_id})
ON CREATE SET c.seq = 0
WITH c
WHERE c.seq = $expected
UNWIND $rows AS row
MERGE (a:Identifier {key: row.a_key})
ON CREATE SET a.type = row.a_type, a.value = row.a_value
MERGE (b:Identifier {key: row.b_key})
ON CREATE SET b.type = row.b_type, b.value = row.b_value
MERGE (a)-[s:SEEN_WITH]->(b)
ON CREATE SET s.count = 0, s.first_at = row.first_at, s.last_at = row.last_at
SET s.count = s.count + row.count,
    s.first_at = CASE WHEN row.first_at < s.first_at THEN row.first_at ELSE s.first_at END,
    s.last_at = CASE WHEN row.last_at > s.last_at THEN row.last_at ELSE s.last_at END
