SELECT ward_code, street, house, alley, apartment, geom, da_cell, da_unit FROM addresses WHERE id = $1
