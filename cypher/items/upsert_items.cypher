// Create or update catalogue items by id.
// rows: [{id, title, category, brand, price, currency, description, in_stock}]
UNWIND $rows AS row
MERGE (it:Item {id: row.id})
SET it.title = row.title, it.category = row.category, it.brand = row.brand,
    it.price = row.price, it.currency = row.currency,
    it.description = row.description, it.in_stock = row.in_stock
