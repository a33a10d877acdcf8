// Interaction aggregates of a set of identifiers, per item and type.
// params: keys
MATCH (i:Identifier)-[x:INTERACTED]->(it:Item)
WHERE i.key IN $keys
RETURN i.key AS id_key, it.id AS item_id, x.type AS type, x.count AS count,
       x.first_at AS first_at, x.last_at AS last_at, x.weight AS weight
ORDER BY id_key, item_id, type
