// Audit entries about any of these subjects (customer ids, record keys; pair subjects
// `a|b` match either record), oldest first.
// params: subjects
MATCH (e:AuditEntry)
WHERE e.subject_id IN $subjects
   OR any(s IN $subjects WHERE (e.subject_id STARTS WITH (s + '|'))
                            OR (e.subject_id ENDS WITH ('|' + s)))
RETURN e.id AS id, e.at AS at, e.actor AS actor, e.action AS action, e.reason AS reason,
       e.subject_type AS subject_type, e.subject_id AS subject_id, e.before AS before,
       e.after AS after
ORDER BY at, id
