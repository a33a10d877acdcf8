// The stored rule segments' definitions (no member counts: what every evaluation, and the
// re-evaluation after each ingested batch, starts from), in id order.
// params: ids (a list, or null for every rule segment)
MATCH (s:Segment {kind: 'rule'})
WHERE $ids IS NULL OR s.id IN $ids
RETURN s.id AS id, s.definition AS definition
ORDER BY id
