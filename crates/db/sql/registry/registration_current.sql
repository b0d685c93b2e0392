-- The citizen's current registration: the verified one, else the newest pending one not expired.
SELECT id, target_enc, status = 'verified'
FROM registrations
WHERE citizen_hash = $1 AND (status = 'verified' OR (status = 'pending' AND expires_at > now()))
ORDER BY status = 'verified' DESC, created_at DESC
LIMIT 1
