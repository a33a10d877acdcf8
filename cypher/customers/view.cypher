// A customer with what a frontend view of it needs, in one read: the node, its records
// (by key), their identifiers, the anonymous identifiers seen only with it (the rule of
// identifiers/seen_with_customers), the customers merged into it, its segment memberships
// and the consent decisions of all those subjects (the rule of consent/customer_decisions).
// Each part in its own subquery (collected per customer, no grouping by the other parts:
// a third less server time than one chain of WITH … collect). With $with_interactions,
// the item interactions of all those identifiers too (the rule of
// interactions/by_identifiers); '' matches no identifier.
// params: ids, purposes, with_interactions
UNWIND $ids AS id
MATCH (c:Customer {id: id})
CALL {
  WITH c
  OPTIONAL MATCH (c)<-[:BELONGS_TO]-(r:Record)
  WITH r ORDER BY r.key
  RETURN collect(r) AS records
}
CALL {
  WITH c
  OPTIONAL MATCH (c)<-[:BELONGS_TO]-(hr:Record)-[:HAS_ID]->(i:Identifier)
  WITH hr, i ORDER BY hr.key, i.key
  RETURN collect(CASE WHEN i IS NULL THEN NULL
                 ELSE {record_key: hr.key, key: i.key, type: i.type, value: i.value} END) AS held
}
CALL {
  WITH c
  OPTIONAL MATCH (c)<-[:BELONGS_TO]-(:Record)-[:HAS_ID]->(:Identifier)-[:SEEN_WITH]-(s:Identifier)
  WITH DISTINCT s
  // Held identifiers are dropped before their owners are looked for (the same answer,
  // ~10 % less server time per view than counting holders for every neighbour).
  WHERE s IS NOT NULL AND NOT (s)<-[:HAS_ID]-(:Record)
  OPTIONAL MATCH (s)-[:SEEN_WITH]-(:Identifier)<-[:HAS_ID]-(:Record)-[:BELONGS_TO]->(o:Customer)
  WITH s, collect(DISTINCT o.id) AS owners
  WHERE size(owners) = 1
  WITH s ORDER BY s.key
  RETURN collect({key: s.key, type: s.type, value: s.value}) AS seen
}
CALL {
  WITH id
  OPTIONAL MATCH (old:Customer {merged_into: id})
  RETURN collect(DISTINCT old.id) AS merged_from
}
CALL {
  WITH c
  OPTIONAL MATCH (c)-[m:IN_SEGMENT]->(g:Segment)
  WITH m, g ORDER BY g.id
  RETURN collect(CASE WHEN g IS NULL THEN NULL
                 ELSE {id: g.id, kind: g.kind, name: g.name, since: m.since, score: m.score} END)
    AS memberships
}
CALL {
  WITH id, held, seen, merged_from
  UNWIND [x IN held | x.key] + [x IN seen | x.key] + merged_from + [id] AS subject
  OPTIONAL MATCH (k:Consent {subject: subject})
  WHERE k.purpose IN $purposes
  RETURN collect(CASE WHEN k IS NULL THEN NULL
                 ELSE {subject: k.subject, purpose: k.purpose, granted: k.granted,
                       source: k.source, at: k.at} END) AS consents
}
CALL {
  WITH held, seen
  UNWIND CASE WHEN $with_interactions AND size(held) + size(seen) > 0
         THEN [x IN held | x.key] + [x IN seen | x.key] ELSE [''] END AS key
  WITH DISTINCT key
  OPTIONAL MATCH (i:Identifier {key: key})-[x:INTERACTED]->(it:Item)
  WITH i, x, it ORDER BY i.key, it.id, x.type
  // Positional (the columns of interactions/by_identifiers, in order): the many rows of a
  // long history parse faster as lists than as maps.
  RETURN collect(CASE WHEN x IS NULL THEN NULL
                 ELSE [i.key, it.id, x.type, x.count, x.first_at, x.last_at, x.weight] END)
    AS interactions
}
RETURN id, c AS customer, records, held, seen, merged_from, memberships, consents, interactions
