UPDATE registrations SET status = 'revoked', revoked_at = now()
WHERE id = $1 AND status IN ('pending', 'verified', 'locked')
RETURNING id
