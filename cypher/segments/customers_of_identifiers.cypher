// The active customers whose segment facts the given identifiers feed: through a record
// holding the identifier, or through an identifier it was seen with (a cookie that signed
// in with a login). A superset is harmless: the re-evaluation after an ingested batch
// evaluates these customers only. Intermediate nodes carry no label on purpose (see
// consent/identifier_owners: FalkorDB plans the label-free pattern as a plain traversal).
// params: keys
UNWIND $keys AS key
MATCH (i:Identifier {key: key})
OPTIONAL MATCH (i)<-[:HAS_ID]-()-[:BELONGS_TO]->(direct)
WITH i, collect(DISTINCT direct) AS direct_customers
OPTIONAL MATCH (i)-[:SEEN_WITH]-()<-[:HAS_ID]-()-[:BELONGS_TO]->(via)
WITH i, direct_customers, collect(DISTINCT via) AS via_customers
UNWIND direct_customers + via_customers AS c
WITH DISTINCT c
WHERE coalesce(c.status, 'active') = 'active'
RETURN c.id AS customer_id
ORDER BY customer_id
