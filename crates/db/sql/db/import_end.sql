-- End of `diachi db import`: the same indexes as migrations/V1__schema.sql (a test compares them), the change feed
-- back on, the id sequence after the imported ids, fresh planner statistics.
ALTER TABLE addresses ADD CONSTRAINT addresses_pkey PRIMARY KEY (id);
CREATE INDEX addresses_geom_idx ON addresses USING gist (geom);
CREATE UNIQUE INDEX addresses_da_idx ON addresses (da_cell, da_unit);
CREATE INDEX addresses_ward_idx ON addresses (ward_code);
CREATE INDEX addresses_h3_r10_idx ON addresses (h3_r10);
CREATE INDEX addresses_h3_r6_idx ON addresses (h3_r6);
ALTER TABLE addresses ENABLE TRIGGER addresses_changed;
SELECT setval('addresses_id_seq', coalesce((SELECT max(id) + 1 FROM addresses), 0), false);
ANALYZE provinces, wards, postal_zones, post_offices, addresses;
