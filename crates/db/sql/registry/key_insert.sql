INSERT INTO api_keys (id, name, scopes, secret_sha256, rate_limit) VALUES ($1, $2, $3, $4, $5)
RETURNING to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
