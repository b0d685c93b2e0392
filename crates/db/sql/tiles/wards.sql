-- Layer `wards` of tile ($1, $2, $3) = (z, x, y), rendered by PostGIS (feature id: the ward code, as in memory).
WITH bounds AS (
    SELECT ST_TileEnvelope($1, $2, $3) AS env,
           ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4326) AS box
),
features AS (
    SELECT ST_AsMVTGeom(ST_Transform(w.geom, 3857), bounds.env, 4096, 64, true) AS geom,
           w.code::integer AS fid, w.code, w.name, w.kind, w.province_code
    FROM bounds, wards w
    WHERE w.geom && bounds.box
)
SELECT ST_AsMVT(features, 'wards', 4096, 'geom', 'fid') FROM features WHERE geom IS NOT NULL
