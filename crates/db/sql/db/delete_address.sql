DELETE FROM addresses WHERE id = $1
