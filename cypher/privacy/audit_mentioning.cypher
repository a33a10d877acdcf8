// Audit entries that mention any of these strings (record keys, customer ids, values), for
// redaction when the person they describe is erased.
// params: strings
MATCH (e:AuditEntry)
WHERE any(s IN $strings WHERE e.subject_id CONTAINS s OR e.before CONTAINS s
                          OR e.after CONTAINS s OR e.reason CONTAINS s)
RETURN e.id AS id, e.subject_id AS subject_id, e.before AS before, e.after AS after,
       e.reason AS reason
