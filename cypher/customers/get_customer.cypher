// One customer with its record keys and identifier keys.
// params: id
MATCH (c:Customer {id: $id})
OPTIONAL MATCH (c)<-[:BELONGS_TO]-(r:Record)
OPTIONAL MATCH (r)-[:HAS_ID]->(i:Identifier)
WITH c, collect(DISTINCT r.key) AS record_keys, collect(DISTINCT i.key) AS identifier_keys
RETURN c AS customer, record_keys, identifier_keys
