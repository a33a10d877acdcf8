// The identifiers of each given record, in identifier key order.
// params: keys
UNWIND $keys AS k
MATCH (:Record {key: k})-[:HAS_ID]->(i:Identifier)
RETURN k AS record_key, i.key AS key, i.type AS type, i.value AS value
ORDER BY record_key, key
