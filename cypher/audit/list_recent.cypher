// The newest audit entries, optionally only one action.
// params: action (null for all), limit
MATCH (e:AuditEntry)
WHERE $action IS NULL OR e.action = $action
RETURN e.id AS id, e.at AS at, e.actor AS actor, e.action AS action, e.reason AS reason,
       e.subject_type AS subject_type, e.subject_id AS subject_id, e.before AS before,
       e.after AS after
ORDER BY at DESC, id DESC
LIMIT $limit
