-- Rows whose digital address does not agree with its cell and unit, or repeats another's: none expected.
SELECT count(*) FROM (
    SELECT digital_address, count(*) OVER (PARTITION BY digital_address) AS n,
           count(*) OVER (PARTITION BY da_cell, da_unit) AS m,
           (da_unit = 1) = (position('.' IN digital_address) = 0) AS unit_ok
    FROM addresses
) t
WHERE n > 1 OR m > 1 OR NOT unit_ok
