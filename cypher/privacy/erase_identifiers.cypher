// Delete identifiers with their interactions and seen-with links.
// params: keys
UNWIND $keys AS k
MATCH (i:Identifier {key: k})
DETACH DELETE i
