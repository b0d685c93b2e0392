-- A postal zone is the union of the wards sharing its postcode.
INSERT INTO postal_zones (postcode, province_code, geom)
SELECT postcode, min(province_code), ST_Multi(ST_CollectionExtract(ST_Union(geom), 3))
FROM wards
GROUP BY postcode
