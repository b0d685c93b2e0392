-- The change-feed position and the largest address id of the snapshot being loaded.
SELECT (SELECT coalesce(max(seq), 0) FROM address_changes) AS last_change,
       (SELECT max(id) FROM addresses) AS max_id
