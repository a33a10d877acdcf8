// Every identifier's interactions per item, all types summed: what the recommender trains on.
// One row per (identifier, item); the caller groups identifiers into customers.
MATCH (i:Identifier)-[x:INTERACTED]->(it:Item)
RETURN i.key AS id_key, it.id AS item_id, sum(x.weight) AS weight, sum(x.count) AS count,
       min(x.first_at) AS first_at, max(x.last_at) AS last_at
