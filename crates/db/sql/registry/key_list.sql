SELECT id, name, scopes, secret_sha256, rate_limit,
       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
       to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
       identity_level, identity_daily_quota
FROM api_keys ORDER BY created_at, id
