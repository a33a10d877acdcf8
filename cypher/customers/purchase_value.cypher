// Purchase value of each given customer: the sum over the purchases of its records'
// identifiers of count × item price (the aggregate's weight when the item has no price),
// as RFM's monetary value. Customers without purchases give no row.
// params: ids
UNWIND $ids AS id
MATCH (:Customer {id: id})<-[:BELONGS_TO]-(:Record)-[:HAS_ID]->(i:Identifier)
WITH DISTINCT id, i
MATCH (i)-[x:INTERACTED]->(it:Item)
WHERE x.type = 'purchase'
RETURN id AS customer_id,
       sum(CASE WHEN it.price IS NULL THEN x.weight ELSE x.count * it.price END) AS value
ORDER BY customer_id
