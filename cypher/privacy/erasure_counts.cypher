// What erasing these records, identifiers and customers will remove besides the nodes:
// review-queue pairs, interactions and segment memberships.
// params: record_keys, identifier_keys, customer_ids
OPTIONAL MATCH (r:Record)-[m:CANDIDATE_MATCH]-(:Record)
WHERE r.key IN $record_keys
WITH count(DISTINCT m) AS review_pairs
OPTIONAL MATCH (i:Identifier)-[x:INTERACTED]->(:Item)
WHERE i.key IN $identifier_keys
WITH review_pairs, count(x) AS interactions
OPTIONAL MATCH (c:Customer)-[s:IN_SEGMENT]->(:Segment)
WHERE c.id IN $customer_ids
RETURN review_pairs, interactions, count(s) AS memberships
