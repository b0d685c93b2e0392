SELECT ward_code, street, house, alley, apartment, geom, da_cell, da_unit, house_suffix FROM addresses WHERE id = $1
