// The segments of a customer.
// params: customer_id
MATCH (:Customer {id: $customer_id})-[m:IN_SEGMENT]->(s:Segment)
RETURN s.id AS id, s.kind AS kind, s.name AS name, m.since AS since, m.score AS score
ORDER BY id
