INSERT INTO api_keys (id, name, scopes, secret_sha256, rate_limit, identity_level, identity_daily_quota)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
