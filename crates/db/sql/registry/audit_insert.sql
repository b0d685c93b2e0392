INSERT INTO audit_log (request_id, key_id, action, outcome, status, registration_id, subject_hash, identity_level)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
