// Per customer, the identifiers no record holds that were seen with one of its records'
// identifiers (a cookie signed in with a login) and lead to that customer only: the
// behaviour the recommender pools into the customer (gnn.dataset.customer_of).
// params: ids
UNWIND $ids AS id
MATCH (:Customer {id: id})<-[:BELONGS_TO]-(:Record)-[:HAS_ID]->(:Identifier)-[:SEEN_WITH]-(s:Identifier)
WITH DISTINCT id, s
OPTIONAL MATCH (s)<-[:HAS_ID]-(held:Record)
WITH id, s, count(held) AS records
WHERE records = 0
MATCH (s)-[:SEEN_WITH]-(:Identifier)<-[:HAS_ID]-(:Record)-[:BELONGS_TO]->(owner:Customer)
WITH id, s, collect(DISTINCT owner.id) AS owners
WHERE size(owners) = 1
RETURN id AS customer_id, s.key AS key, s.type AS type, s.value AS value
ORDER BY customer_id, key
