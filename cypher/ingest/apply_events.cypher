// Apply one chunk of logged events in ONE statement (atomic on both backends): move the
// log's cursor from `expected` to `seq`, and add the chunk's interaction and co-occurrence
// aggregates. If the cursor is elsewhere (the chunk was applied already, e.g. re-sent after
// a lost reply), nothing changes and no row is returned. Items unknown to the catalogue
// are created bare and filled in by the next catalogue load.
// params: cursor_id, expected, seq,
//   interactions: [{id_key, id_type, id_value, item_id, type, count, first_at, last_at, weight}],
//   pairs: [{a_key, a_type, a_value, b_key, b_type, b_value, count, first_at, last_at}]
MERGE (c:IngestCursor {id: $cursor_id})
ON CREATE SET c.seq = 0
WITH c
WHERE c.seq = $expected
SET c.seq = $seq
FOREACH (row IN $interactions |
  MERGE (it:Item {id: row.item_id})
  MERGE (i:Identifier {key: row.id_key})
  ON CREATE SET i.type = row.id_type, i.value = row.id_value
  MERGE (i)-[x:INTERACTED {type: row.type}]->(it)
  ON CREATE SET x.count = 0, x.weight = 0.0, x.first_at = row.first_at, x.last_at = row.last_at
  SET x.count = x.count + row.count,
      x.weight = x.weight + row.weight,
      x.first_at = CASE WHEN row.first_at < x.first_at THEN row.first_at ELSE x.first_at END,
      x.last_at = CASE WHEN row.last_at > x.last_at THEN row.last_at ELSE x.last_at END
)
FOREACH (row IN $pairs |
  MERGE (a:Identifier {key: row.a_key})
  ON CREATE SET a.type = row.a_type, a.value = row.a_value
  MERGE (b:Identifier {key: row.b_key})
  ON CREATE SET b.type = row.b_type, b.value = row.b_value
  MERGE (a)-[s:SEEN_WITH]->(b)
  ON CREATE SET s.count = 0, s.first_at = row.first_at, s.last_at = row.last_at
  SET s.count = s.count + row.count,
      s.first_at = CASE WHEN row.first_at < s.first_at THEN row.first_at ELSE s.first_at END,
      s.last_at = CASE WHEN row.last_at > s.last_at THEN row.last_at ELSE s.last_at END
)
RETURN c.seq AS seq
