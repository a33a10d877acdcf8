// Delete every node and relationship of the graph (tests and `store reset` only).
MATCH (n)
DETACH DELETE n
