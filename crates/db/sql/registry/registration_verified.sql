-- The citizen's verified registration, if any (pending, locked, expired, revoked and superseded ones never answer an
-- identity check).
SELECT id, target_enc
FROM registrations
WHERE citizen_hash = $1 AND status = 'verified'
