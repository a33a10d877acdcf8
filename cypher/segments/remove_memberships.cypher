// Take customers out of segments.
// rows: [{customer_id, segment_id}]
UNWIND $rows AS row
MATCH (:Customer {id: row.customer_id})-[m:IN_SEGMENT]->(:Segment {id: row.segment_id})
DELETE m
