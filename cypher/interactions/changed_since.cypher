// Interaction aggregates of identifiers that changed after a time (epoch ms): what a served
// recommendation model has not seen yet (usually nothing, so the answer stays small).
// params: keys, since
MATCH (i:Identifier)-[x:INTERACTED]->(it:Item)
WHERE i.key IN $keys AND x.last_at > $since
RETURN i.key AS id_key, it.id AS item_id, x.type AS type, x.count AS count,
       x.first_at AS first_at, x.last_at AS last_at, x.weight AS weight
ORDER BY id_key, item_id, type
