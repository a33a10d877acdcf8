// The whole catalogue with the attributes item features are built from.
MATCH (it:Item)
RETURN it.id AS id, it.title AS title, it.category AS category, it.brand AS brand,
       it.price AS price, it.description AS description, it.in_stock AS in_stock
ORDER BY id
