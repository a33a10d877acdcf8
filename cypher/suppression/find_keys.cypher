// Which of the given keys are on the suppression list.
// params: keys
MATCH (s:Suppressed)
WHERE s.key IN $keys
RETURN s.key AS key
