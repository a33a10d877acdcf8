// Every identifier's interactions per item, all types summed: what the recommender trains on.
// One row per identifier with parallel lists (a row per pair made the export 2.6x slower:
// result parsing dominates); the caller groups identifiers into customers.
MATCH (i:Identifier)-[x:INTERACTED]->(it:Item)
WITH i.key AS id_key, it.id AS item_id, sum(x.weight) AS weight, min(x.first_at) AS first_at
RETURN id_key, collect(item_id) AS items, collect(weight) AS weights,
       collect(first_at) AS first_ats
ORDER BY id_key
