-- The citizen's earlier verified registration gives way to the one being verified.
UPDATE registrations SET status = 'superseded', revoked_at = now()
WHERE citizen_hash = $1 AND status = 'verified' AND id <> $2
