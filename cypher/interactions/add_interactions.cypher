// Add interaction aggregates with a plain UNWIND, unguarded: the raw store rate that
// benchmarks/ingest.py compares ingestion with, and bulk backfills that manage their own
// idempotency. Streaming ingestion uses ingest/apply_events instead.
// rows: [{id_key, id_type, id_value, item_id, type, count, first_at, last_at, weight}]
UNWIND $rows AS row
MERGE (it:Item {id: row.item_id})
MERGE (i:Identifier {key: row.id_key})
ON CREATE SET i.type = row.id_type, i.value = row.id_value
MERGE (i)-[x:INTERACTED {type: row.type}]->(it)
ON CREATE SET x.count = 0, x.weight = 0.0, x.first_at = row.first_at, x.last_at = row.last_at
SET x.count = x.count + row.count,
    x.weight = x.weight + row.weight,
    x.first_at = CASE WHEN row.first_at < x.first_at THEN row.first_at ELSE x.first_at END,
    x.last_at = CASE WHEN row.last_at > x.last_at THEN row.last_at ELSE x.last_at END
