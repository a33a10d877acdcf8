// The record keys of each given customer.
// params: ids
UNWIND $ids AS id
MATCH (c:Customer {id: id})<-[:BELONGS_TO]-(r:Record)
RETURN id AS customer_id, collect(r.key) AS record_keys
