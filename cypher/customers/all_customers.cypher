// Every customer id with its status (active customers have status 'active').
MATCH (c:Customer)
RETURN c.id AS id, c.status AS status, c.created_at AS created_at
