SELECT 1 FROM registrations WHERE id = $1 FOR UPDATE
