// The customers each identifier key leads to: `direct_ids` through records holding it;
// `via_ids`, looked at only when there are none, through identifiers seen with it (the
// recommender's rule, privacy.consent.owning_customer). Keys leading nowhere are left out.
// Intermediate nodes carry no label on purpose: HAS_ID, BELONGS_TO and SEEN_WITH connect
// only records, identifiers and customers, and FalkorDB plans the label-free pattern as a
// plain traversal (about 10x faster here).
// params: keys
UNWIND $keys AS key
MATCH (i:Identifier {key: key})
OPTIONAL MATCH (i)<-[:HAS_ID]-()-[:BELONGS_TO]->(direct)
WITH key, i, collect(DISTINCT direct.id) AS direct_ids
WITH key, direct_ids, CASE WHEN size(direct_ids) = 0 THEN i ELSE null END AS lone
OPTIONAL MATCH (lone)-[:SEEN_WITH]-()<-[:HAS_ID]-()-[:BELONGS_TO]->(via)
WITH key, direct_ids, collect(DISTINCT via.id) AS via_ids
WHERE size(direct_ids) > 0 OR size(via_ids) > 0
RETURN key, direct_ids, via_ids
