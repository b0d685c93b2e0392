-- Layer `postal_zones` of tile ($1, $2, $3) = (z, x, y), rendered by PostGIS.
WITH bounds AS (
    SELECT ST_TileEnvelope($1, $2, $3) AS env,
           ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4326) AS box
),
features AS (
    SELECT ST_AsMVTGeom(ST_Transform(z.geom, 3857), bounds.env, 4096, 64, true) AS geom,
           z.postcode::integer AS fid, z.postcode AS code, z.province_code
    FROM bounds, postal_zones z
    WHERE z.geom && bounds.box
)
SELECT ST_AsMVT(features, 'postal_zones', 4096, 'geom', 'fid') FROM features WHERE geom IS NOT NULL
