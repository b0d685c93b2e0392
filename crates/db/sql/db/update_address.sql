UPDATE addresses
SET ward_code = $1, street = $2, house = $3, alley = $4, apartment = $5, da_cell = $6, da_unit = $7,
    digital_address = $8, geom = $9, h3_r10 = $10, h3_r6 = $11, house_suffix = $12
WHERE id = $13
RETURNING id
