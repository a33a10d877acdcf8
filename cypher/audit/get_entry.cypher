// One audit entry by id.
// params: id
MATCH (e:AuditEntry {id: $id})
RETURN e.id AS id, e.at AS at, e.actor AS actor, e.action AS action, e.reason AS reason,
       e.subject_type AS subject_type, e.subject_id AS subject_id, e.before AS before,
       e.after AS after
