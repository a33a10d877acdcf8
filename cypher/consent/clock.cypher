// The consent clock's version (0 before any change; see consent/bump_clock).
OPTIONAL MATCH (c:ConsentClock {id: 'consent'})
RETURN coalesce(c.version, 0) AS version
