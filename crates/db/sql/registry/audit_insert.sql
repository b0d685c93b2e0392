INSERT INTO audit_log (request_id, key_id, action, outcome, status, registration_id) VALUES ($1, $2, $3, $4, $5, $6)
