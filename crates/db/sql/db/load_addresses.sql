COPY (SELECT id, ward_code, street, house, alley, apartment, da_unit, geom, house_suffix FROM addresses) TO STDOUT (FORMAT binary)
