-- The counts of days before yesterday (UTC) are of no more use.
DELETE FROM identity_check_counts WHERE day < (now() AT TIME ZONE 'UTC')::date - 1
