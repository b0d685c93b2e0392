-- A wrong code: one attempt more; the fifth locks the registration.
UPDATE registrations
SET attempts = attempts + 1, status = CASE WHEN attempts + 1 >= $2 THEN 'locked' ELSE status END
WHERE id = $1
RETURNING attempts
