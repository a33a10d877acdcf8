// Delete segments and their memberships (cluster segments a recompute no longer has).
// params: ids
MATCH (s:Segment)
WHERE s.id IN $ids
DETACH DELETE s
