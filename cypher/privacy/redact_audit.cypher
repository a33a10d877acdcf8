// Replace the erased person's references in audit entries (the one change an audit entry
// may undergo: erasure outranks the append-only rule, GDPR Art. 17).
// rows: [{id, subject_id, before, after, reason}]
UNWIND $rows AS row
MATCH (e:AuditEntry {id: row.id})
SET e.subject_id = row.subject_id, e.before = row.before, e.after = row.after,
    e.reason = row.reason, e.redacted = true
