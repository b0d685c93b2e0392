-- Post offices in id order; ids are dense (0..n), as the index expects.
SELECT id, name, kind, ward_code, geom FROM post_offices ORDER BY id
