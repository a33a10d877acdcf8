// How many records hold each identifier (merge protection: a value shared too widely is
// not used to link).
// params: keys
UNWIND $keys AS k
MATCH (i:Identifier {key: k})<-[:HAS_ID]-(r:Record)
RETURN k AS key, count(r) AS records
