// The audit entries of several subjects (customers, record pairs), newest first.
// params: subject_ids, limit
UNWIND $subject_ids AS s
MATCH (e:AuditEntry {subject_id: s})
RETURN e.id AS id, e.at AS at, e.actor AS actor, e.action AS action, e.reason AS reason,
       e.subject_type AS subject_type, e.subject_id AS subject_id, e.before AS before,
       e.after AS after
ORDER BY at DESC, id DESC
LIMIT $limit
