// The last event-log sequence number applied to the graph, for one event log.
// params: id
MATCH (c:IngestCursor {id: $id})
RETURN c.seq AS seq
