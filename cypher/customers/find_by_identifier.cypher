// The customers an identifier leads to, directly or through identifiers seen with it.
// params: key
MATCH (i:Identifier {key: $key})
OPTIONAL MATCH (i)<-[:HAS_ID]-(:Record)-[:BELONGS_TO]->(direct:Customer)
OPTIONAL MATCH (i)-[:SEEN_WITH]-(:Identifier)<-[:HAS_ID]-(:Record)-[:BELONGS_TO]->(via:Customer)
WITH collect(DISTINCT direct.id) AS direct_ids, collect(DISTINCT via.id) AS via_ids
RETURN direct_ids, via_ids
