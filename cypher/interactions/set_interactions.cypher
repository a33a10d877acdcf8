// Interaction aggregates computed from a complete source (bulk load): values replace.
// rows: [{id_key, id_type, id_value, item_id, type, count, first_at, last_at, weight}]
UNWIND $rows AS row
MATCH (it:Item {id: row.item_id})
MERGE (i:Identifier {key: row.id_key})
ON CREATE SET i.type = row.id_type, i.value = row.id_value
MERGE (i)-[x:INTERACTED {type: row.type}]->(it)
SET x.count = row.count, x.first_at = row.first_at, x.last_at = row.last_at,
    x.weight = row.weight
