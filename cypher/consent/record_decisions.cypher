// Record consent decisions, latest wins: one (:Consent {id: "<purpose>|<subject>"}) per
// subject and purpose holds the newest decision (granted, source, at); a decision not newer
// than the stored one changes nothing. Returns the decisions applied. (ConsentService
// writes the audit entries of the changes in the same transaction.)
// rows: [{id, subject, purpose, granted, source, at}]
UNWIND $rows AS row
MERGE (c:Consent {id: row.id})
ON CREATE SET c.subject = row.subject, c.purpose = row.purpose
WITH c, row
WHERE c.at IS NULL OR c.at < row.at
SET c.granted = row.granted, c.source = row.source, c.at = row.at
RETURN row.id AS id
