// Interaction aggregates of the identifiers each customer's records hold, with the item's
// category and price: what segment rules and RFM scores are computed from.
// params: ids
UNWIND $ids AS id
MATCH (:Customer {id: id})<-[:BELONGS_TO]-(:Record)-[:HAS_ID]->(i:Identifier)
WITH DISTINCT id, i
MATCH (i)-[x:INTERACTED]->(it:Item)
RETURN id AS customer_id, i.key AS id_key, it.id AS item_id, it.category AS category,
       it.price AS price, x.type AS type, x.count AS count, x.first_at AS first_at,
       x.last_at AS last_at, x.weight AS weight
ORDER BY customer_id, id_key, item_id, type
