// Delete customers with their segment memberships.
// params: ids
UNWIND $ids AS id
MATCH (c:Customer {id: id})
DETACH DELETE c
