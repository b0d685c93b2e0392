-- A registration, its state as of now (a pending one past its expiry reads as expired).
SELECT id, citizen_hash, target_enc, code_hash, attempts, post_office_id,
       CASE WHEN status = 'pending' AND expires_at <= now() THEN 'expired' ELSE status END,
       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
       to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
       to_char(verified_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
       to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
       created_by
FROM registrations WHERE id = $1
