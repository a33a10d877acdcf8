// Create or update source records by key; an older version never overwrites a newer one.
// attrs is a flat map of scalars.
// rows: [{key, source, source_id, updated_at, ingested_at, attrs}]
UNWIND $rows AS row
MERGE (r:Record {key: row.key})
ON CREATE SET r.source = row.source, r.source_id = row.source_id, r.ingested_at = row.ingested_at
WITH r, row
WHERE r.updated_at IS NULL OR r.updated_at <= row.updated_at
SET r += row.attrs, r.updated_at = row.updated_at
