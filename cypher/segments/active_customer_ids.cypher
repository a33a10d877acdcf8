// Ids of active (not retired) customers after a cursor, in id order: one page of the
// population segment evaluation walks.
// params: after (an id; "" for the first page), limit
MATCH (c:Customer)
WHERE c.id > $after AND coalesce(c.status, 'active') = 'active'
RETURN c.id AS id
ORDER BY id
LIMIT $limit
