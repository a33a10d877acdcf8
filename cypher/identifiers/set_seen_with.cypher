// Identifiers seen together in events (e.g. a cookie and a login), with absolute aggregates.
// rows: [{a_key, a_type, a_value, b_key, b_type, b_value, count, first_at, last_at}]
UNWIND $rows AS row
MERGE (a:Identifier {key: row.a_key})
ON CREATE SET a.type = row.a_type, a.value = row.a_value
MERGE (b:Identifier {key: row.b_key})
ON CREATE SET b.type = row.b_type, b.value = row.b_value
MERGE (a)-[s:SEEN_WITH]->(b)
SET s.count = row.count, s.first_at = row.first_at, s.last_at = row.last_at
