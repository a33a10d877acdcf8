// Segment definitions with their member counts, in id order; all of them, or those of
// the given ids.
// params: ids (a list, or null for every segment)
MATCH (s:Segment)
WHERE $ids IS NULL OR s.id IN $ids
OPTIONAL MATCH (s)<-[m:IN_SEGMENT]-(:Customer)
WITH s, count(m) AS members
RETURN s.id AS id, s.kind AS kind, s.name AS name, s.definition AS definition, members
ORDER BY id
