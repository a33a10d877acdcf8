// Create or update source records by key; attrs is a flat map of scalars.
// rows: [{key, source, source_id, updated_at, ingested_at, attrs}]
UNWIND $rows AS row
MERGE (r:Record {key: row.key})
ON CREATE SET r.source = row.source, r.source_id = row.source_id, r.ingested_at = row.ingested_at
SET r += row.attrs, r.updated_at = row.updated_at
