COPY (SELECT id, ward_code, street, house, alley, apartment, da_unit, geom FROM addresses) TO STDOUT (FORMAT binary)
