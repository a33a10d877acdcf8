// The stored decisions (for `purposes`) of the given subjects (identifier keys, customer ids).
// params: subjects, purposes
MATCH (c:Consent)
WHERE c.subject IN $subjects AND c.purpose IN $purposes
RETURN c.subject AS subject, c.purpose AS purpose, c.granted AS granted, c.source AS source,
       c.at AS at
