// Customers by id (retired ones too: `status`, `merged_into`), with their golden attributes.
// params: ids
UNWIND $ids AS id
MATCH (c:Customer {id: id})
RETURN id, c AS customer
