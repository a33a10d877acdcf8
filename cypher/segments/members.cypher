// One page of a segment's members, in customer id order after a cursor.
// params: segment_id, after (a customer id; "" for the first page), limit
MATCH (c:Customer)-[m:IN_SEGMENT]->(:Segment {id: $segment_id})
WHERE c.id > $after
RETURN c.id AS customer_id, m.since AS since, m.score AS score
ORDER BY customer_id
LIMIT $limit
