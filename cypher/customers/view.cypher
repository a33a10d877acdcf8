// A customer with what a frontend view of it needs, in one read: the node, its records
// (by key), their identifiers, the anonymous identifiers seen only with it (the rule of
// identifiers/seen_with_customers), the customers merged into it, its segment memberships
// and the consent decisions of all those subjects (the rule of consent/customer_decisions).
// params: ids, purposes, with_interactions
UNWIND $ids AS id
MATCH (c:Customer {id: id})
OPTIONAL MATCH (c)<-[:BELONGS_TO]-(r:Record)
WITH id, c, r ORDER BY r.key
WITH id, c, collect(r) AS records
OPTIONAL MATCH (c)<-[:BELONGS_TO]-(hr:Record)-[:HAS_ID]->(i:Identifier)
WITH id, c, records, hr, i ORDER BY hr.key, i.key
WITH id, c, records,
     collect(CASE WHEN i IS NULL THEN NULL
             ELSE {record_key: hr.key, key: i.key, type: i.type, value: i.value} END) AS held
OPTIONAL MATCH (c)<-[:BELONGS_TO]-(:Record)-[:HAS_ID]->(:Identifier)-[:SEEN_WITH]-(s:Identifier)
WITH DISTINCT id, c, records, held, s
OPTIONAL MATCH (s)<-[:HAS_ID]-(sr:Record)
WITH id, c, records, held, s, count(sr) AS holders
OPTIONAL MATCH (s)-[:SEEN_WITH]-(:Identifier)<-[:HAS_ID]-(:Record)-[:BELONGS_TO]->(o:Customer)
WITH id, c, records, held, s, holders, collect(DISTINCT o.id) AS owners
WITH id, c, records, held, s, holders = 0 AND size(owners) = 1 AS own ORDER BY s.key
WITH id, c, records, held,
     collect(CASE WHEN own THEN {key: s.key, type: s.type, value: s.value} END) AS seen
OPTIONAL MATCH (old:Customer {merged_into: id})
WITH id, c, records, held, seen, collect(DISTINCT old.id) AS merged_from
OPTIONAL MATCH (c)-[m:IN_SEGMENT]->(g:Segment)
WITH id, c, records, held, seen, merged_from, m, g ORDER BY g.id
WITH id, c, records, held, seen, merged_from,
     collect(CASE WHEN g IS NULL THEN NULL
             ELSE {id: g.id, kind: g.kind, name: g.name, since: m.since, score: m.score} END)
       AS memberships
UNWIND [x IN held | x.key] + [x IN seen | x.key] + merged_from + [id] AS subject
OPTIONAL MATCH (k:Consent {subject: subject})
WHERE k.purpose IN $purposes
WITH id, c, records, held, seen, merged_from, memberships, k
WITH id, c, records, held, seen, merged_from, memberships,
     collect(CASE WHEN k IS NULL THEN NULL
             ELSE {subject: k.subject, purpose: k.purpose, granted: k.granted,
                   source: k.source, at: k.at} END) AS consents,
     [x IN held | x.key] + [x IN seen | x.key] AS keys
// With $with_interactions, the item interactions of all those identifiers too (the rule of
// interactions/by_identifiers); '' matches no identifier, so the row stays without them.
UNWIND CASE WHEN $with_interactions AND size(keys) > 0 THEN keys ELSE [''] END AS key
WITH DISTINCT id, c, records, held, seen, merged_from, memberships, consents, key
OPTIONAL MATCH (i:Identifier {key: key})-[x:INTERACTED]->(it:Item)
WITH id, c, records, held, seen, merged_from, memberships, consents, i, x, it
  ORDER BY i.key, it.id, x.type
RETURN id, c AS customer, records, held, seen, merged_from, memberships, consents,
       collect(CASE WHEN x IS NULL THEN NULL
               ELSE {id_key: i.key, item_id: it.id, type: x.type, count: x.count,
                     first_at: x.first_at, last_at: x.last_at, weight: x.weight} END)
         AS interactions
