// Move the log's cursor from `expected` to `seq` (the last statement of an apply
// transaction); returns nothing when the cursor was elsewhere.
// params: id, expected, seq
MERGE (c:IngestCursor {id: $id})
ON CREATE SET c.seq = 0
WITH c
WHERE c.seq = $expected
SET c.seq = $seq
RETURN c.seq AS seq
