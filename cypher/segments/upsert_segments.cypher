// Create or update segment definitions.
// rows: [{id, kind, name, definition}]
UNWIND $rows AS row
MERGE (s:Segment {id: row.id})
SET s.kind = row.kind, s.name = row.name, s.definition = row.definition
