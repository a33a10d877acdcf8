// The segments of each given customer (one batch of the GraphQL loader; the memberships
// an incremental evaluation compares with), in customer then segment id order.
// params: ids
UNWIND $ids AS id
MATCH (:Customer {id: id})-[m:IN_SEGMENT]->(s:Segment)
RETURN id AS customer_id, s.id AS id, s.kind AS kind, s.name AS name, m.since AS since,
       m.score AS score
ORDER BY customer_id, id
