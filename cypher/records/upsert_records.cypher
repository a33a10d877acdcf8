// Create or update source records by key, only with a strictly newer version: the new
// version's attributes replace the old ones (a missing value clears it) and its identifiers
// replace the record's identifier links. Returns the keys that were written.
// rows: [{key, source, source_id, updated_at, ingested_at, attrs, identifiers: [{key, type,
//         value}]}]
UNWIND $rows AS row
MERGE (r:Record {key: row.key})
ON CREATE SET r.source = row.source, r.source_id = row.source_id, r.ingested_at = row.ingested_at
WITH r, row
WHERE r.updated_at IS NULL OR r.updated_at < row.updated_at
SET r += row.attrs, r.updated_at = row.updated_at
WITH r, row
OPTIONAL MATCH (r)-[old:HAS_ID]->(:Identifier)
DELETE old
WITH DISTINCT r, row
FOREACH (ident IN row.identifiers |
  MERGE (i:Identifier {key: ident.key})
  ON CREATE SET i.type = ident.type, i.value = ident.value
  MERGE (r)-[:HAS_ID]->(i)
)
RETURN row.key AS key
