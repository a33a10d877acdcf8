// The records of each given customer, with their attributes, in record key order.
// params: ids
UNWIND $ids AS id
MATCH (:Customer {id: id})<-[:BELONGS_TO]-(r:Record)
RETURN id AS customer_id, r.key AS record_key, r AS record
ORDER BY customer_id, record_key
