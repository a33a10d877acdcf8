// Every membership of the given segments (all segments when null): what a population
// evaluation compares its result with.
// params: segment_ids (a list, or null)
MATCH (c:Customer)-[m:IN_SEGMENT]->(s:Segment)
WHERE $segment_ids IS NULL OR s.id IN $segment_ids
RETURN c.id AS customer_id, s.id AS segment_id, m.score AS score
ORDER BY segment_id, customer_id
