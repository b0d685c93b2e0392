UPDATE registrations SET status = 'verified', verified_at = now(), post_office_id = $2, attempts = attempts + 1
WHERE id = $1 AND status = 'pending'
RETURNING to_char(verified_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
