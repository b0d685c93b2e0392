-- Revokes a registration that can be revoked; $2 is the key that must have created it (NULL: any, `registry:admin`).
UPDATE registrations SET status = 'revoked', revoked_at = now()
WHERE id = $1 AND ($2::text IS NULL OR created_by = $2) AND status IN ('pending', 'verified', 'locked')
RETURNING id
