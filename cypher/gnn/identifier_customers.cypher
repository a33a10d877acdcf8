// The customer of every identifier that has interactions: through a record holding it, or
// else through an identifier it was seen with (an identify event tying a cookie to a login).
MATCH (i:Identifier)-[:INTERACTED]->(:Item)
WITH DISTINCT i
OPTIONAL MATCH (i)<-[:HAS_ID]-(:Record)-[:BELONGS_TO]->(direct:Customer)
OPTIONAL MATCH (i)-[:SEEN_WITH]-(:Identifier)<-[:HAS_ID]-(:Record)-[:BELONGS_TO]->(via:Customer)
RETURN i.key AS id_key, collect(DISTINCT direct.id) AS direct_ids,
       collect(DISTINCT via.id) AS via_ids
