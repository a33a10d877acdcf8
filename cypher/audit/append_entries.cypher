// Append audit entries; an entry id is written once and never changed.
// rows: [{id, at, actor, action, reason, subject_type, subject_id, before, after}]
UNWIND $rows AS row
MERGE (e:AuditEntry {id: row.id})
ON CREATE SET e.at = row.at, e.actor = row.actor, e.action = row.action,
              e.reason = row.reason, e.subject_type = row.subject_type,
              e.subject_id = row.subject_id, e.before = row.before, e.after = row.after
