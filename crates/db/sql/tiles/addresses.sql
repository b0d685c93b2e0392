-- Layer `addresses` of tile ($1, $2, $3) = (z, x, y), rendered by PostGIS: the same features and attributes as the
-- in-memory source's (tests compare them feature by feature). 64 px of buffer at an extent of 4096.
WITH bounds AS (
    SELECT ST_TileEnvelope($1, $2, $3) AS env,
           ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4326) AS box
),
features AS (
    SELECT ST_AsMVTGeom(ST_Transform(a.geom, 3857), bounds.env, 4096, 64, true) AS geom,
           a.id AS fid,
           a.id,
           CASE WHEN a.alley = 0 THEN a.house || a.house_suffix
                ELSE a.house || a.house_suffix || ' ' || CASE WHEN w.province_code IN ('46', '48') THEN 'Kiệt'
                                            WHEN w.province_code >= '51' THEN 'Hẻm'
                                            ELSE 'Ngõ' END || ' ' || a.alley
           END AS house,
           NULLIF(a.apartment, 0) AS unit,
           a.street,
           a.digital_address,
           w.postcode
    FROM bounds, addresses a JOIN wards w ON w.code = a.ward_code
    WHERE a.geom && bounds.box
)
SELECT ST_AsMVT(features, 'addresses', 4096, 'geom', 'fid') FROM features WHERE geom IS NOT NULL
