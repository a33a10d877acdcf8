// Delete records with every relationship they have (identifier links, customer membership,
// review-queue pairs).
// params: keys
UNWIND $keys AS k
MATCH (r:Record {key: k})
DETACH DELETE r
