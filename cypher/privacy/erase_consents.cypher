// Delete the consent decisions about erased subjects (identifier keys, customer ids).
// params: subjects
UNWIND $subjects AS s
MATCH (k:Consent {subject: s})
DELETE k
