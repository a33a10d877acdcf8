// Record the last event-log sequence number applied (written in the same transaction).
// params: id, seq
MERGE (c:IngestCursor {id: $id})
SET c.seq = $seq
