UPDATE registrations SET status = 'expired' WHERE id = $1 AND status = 'pending'
