// Items by id.
// params: ids
MATCH (it:Item)
WHERE it.id IN $ids
RETURN it.id AS id, it.title AS title, it.category AS category, it.brand AS brand,
       it.price AS price, it.currency AS currency, it.in_stock AS in_stock
ORDER BY id
