// Retired customers whose records moved into one of these customers (their old golden
// record is personal data of the same person).
// params: ids
MATCH (c:Customer)
WHERE c.merged_into IN $ids
RETURN c.id AS id
