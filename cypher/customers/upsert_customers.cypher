// Create or update customers by stable id; golden attributes replace on update.
// rows: [{id, created_at, updated_at, attrs}]
UNWIND $rows AS row
MERGE (c:Customer {id: row.id})
ON CREATE SET c.created_at = row.created_at
SET c += row.attrs, c.updated_at = row.updated_at
