// Put customers in segments (keeps the first `since`, updates the score).
// rows: [{customer_id, segment_id, since, score}]
UNWIND $rows AS row
MATCH (c:Customer {id: row.customer_id})
MATCH (s:Segment {id: row.segment_id})
MERGE (c)-[m:IN_SEGMENT]->(s)
ON CREATE SET m.since = row.since
SET m.score = row.score
