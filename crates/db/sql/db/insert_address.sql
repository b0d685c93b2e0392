INSERT INTO addresses (ward_code, street, house, alley, apartment, da_cell, da_unit, digital_address, geom, h3_r10,
                       h3_r6, house_suffix)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
RETURNING id
