-- The installed PostGIS extension's version, or no row when it is not installed.
SELECT extversion FROM pg_extension WHERE extname = 'postgis'
