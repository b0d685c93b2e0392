-- The changes after $1 (at most $2), each with the address's current row (none when it was deleted).
SELECT c.seq, c.address_id, a.ward_code, a.street, a.house, a.alley, a.apartment, a.da_unit, a.geom, a.house_suffix
FROM address_changes c
LEFT JOIN addresses a ON a.id = c.address_id
WHERE c.seq > $1
ORDER BY c.seq
LIMIT $2
