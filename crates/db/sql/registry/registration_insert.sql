INSERT INTO registrations (id, citizen_hash, citizen_id_enc, name_enc, phone_enc, address_text_enc, target_enc,
                           code_hash, expires_at, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9), $10)
RETURNING to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
