// The stored decisions of the given (purpose, subject) ids ("<purpose>|<subject>").
// params: ids
MATCH (c:Consent)
WHERE c.id IN $ids
RETURN c.id AS id, c.subject AS subject, c.purpose AS purpose, c.granted AS granted,
       c.source AS source, c.at AS at
