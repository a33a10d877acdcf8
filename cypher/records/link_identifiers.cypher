// Attach identifiers to records (both merged: safe to repeat).
// rows: [{record_key, key, type, value}]
UNWIND $rows AS row
MATCH (r:Record {key: row.record_key})
MERGE (i:Identifier {key: row.key})
ON CREATE SET i.type = row.type, i.value = row.value
MERGE (r)-[:HAS_ID]->(i)
