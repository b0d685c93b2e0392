-- Start of `diachi db import` (inside its transaction): empty the tables, silence the change feed, and drop the
-- address indexes, rebuilt once at the end by import_end.sql (much faster than maintaining them row by row).
TRUNCATE addresses, address_changes, post_offices, postal_zones, wards, provinces RESTART IDENTITY;
ALTER TABLE addresses DISABLE TRIGGER addresses_changed;
DROP INDEX IF EXISTS addresses_geom_idx, addresses_da_idx, addresses_ward_idx, addresses_h3_r10_idx,
    addresses_h3_r6_idx;
ALTER TABLE addresses DROP CONSTRAINT addresses_pkey;
SET LOCAL maintenance_work_mem = '512MB';
