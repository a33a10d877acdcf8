// The status and the profile attributes segment rules read (country, city: kept readable,
// so nothing here needs decrypting) of the given customers that exist.
// params: ids
UNWIND $ids AS id
MATCH (c:Customer {id: id})
RETURN c.id AS id, coalesce(c.status, 'active') AS status, c.country AS country,
       c.city AS city
