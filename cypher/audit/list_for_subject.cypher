// The audit trail of one subject, newest first.
// params: subject_id, limit
MATCH (e:AuditEntry {subject_id: $subject_id})
RETURN e.id AS id, e.at AS at, e.actor AS actor, e.action AS action, e.reason AS reason,
       e.subject_type AS subject_type, e.before AS before, e.after AS after
ORDER BY at DESC, id DESC
LIMIT $limit
