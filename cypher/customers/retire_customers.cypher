// Mark customers whose records all moved elsewhere; `merged_into` keeps their old id
// resolvable (null when the customer simply has no records left).
// rows: [{id, merged_into, at}]
UNWIND $rows AS row
MATCH (c:Customer {id: row.id})
SET c.status = 'retired', c.merged_into = row.merged_into, c.updated_at = row.at
