// The stored version time of records, to skip stale or repeated deliveries.
// params: keys
MATCH (r:Record)
WHERE r.key IN $keys
RETURN r.key AS key, r.updated_at AS updated_at
