-- The next free digital-address unit of a level-9 cell ($1 = the cell's index).
SELECT coalesce(max(da_unit), 0) + 1 FROM addresses WHERE da_cell = $1
