// Add keys to the suppression list: (:Suppressed {key, at, reason}) per key; a key already
// there keeps its first time and reason. Returns the keys newly added (rows: distinct keys).
// rows: [{key, at, reason}]
UNWIND $rows AS row
OPTIONAL MATCH (old:Suppressed {key: row.key})
WITH row, old IS NULL AS added
MERGE (s:Suppressed {key: row.key})
ON CREATE SET s.at = row.at, s.reason = row.reason
WITH row, added
WHERE added
RETURN row.key AS key
