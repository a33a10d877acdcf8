// Every decision for one purpose with whom it counts for (the mirror of
// consent/customer_decisions, for a whole-graph pass such as the training export):
// an identifier subject counts for the customers whose records hold it (`direct_ids`), else
// for the customers identifiers seen with it lead to (`via_ids`, counted when exactly one);
// a customer id subject counts for that customer and, when it was merged, its successor.
// params: purpose
MATCH (k:Consent {purpose: $purpose})
OPTIONAL MATCH (i:Identifier {key: k.subject})
OPTIONAL MATCH (i)<-[:HAS_ID]-()-[:BELONGS_TO]->(direct)
WITH k, i, collect(DISTINCT direct.id) AS direct_ids
WITH k, i, direct_ids, CASE WHEN size(direct_ids) = 0 THEN i ELSE null END AS lone
OPTIONAL MATCH (lone)-[:SEEN_WITH]-()<-[:HAS_ID]-()-[:BELONGS_TO]->(via)
WITH k, i, direct_ids, collect(DISTINCT via.id) AS via_ids
OPTIONAL MATCH (c:Customer {id: k.subject})
RETURN k.subject AS subject, k.granted AS granted, k.source AS source, k.at AS at,
       i IS NOT NULL AS identifier, direct_ids, via_ids, c.id AS customer_id,
       c.merged_into AS merged_into
ORDER BY subject
