// Count a change of consent: every ConsentService.record that applies a decision moves this
// clock, in the same transaction, so an ingestion gate that caches effective consent can
// tell that someone else (the API, another consumer) changed it.
MERGE (c:ConsentClock {id: 'consent'})
ON CREATE SET c.version = 0
SET c.version = c.version + 1
