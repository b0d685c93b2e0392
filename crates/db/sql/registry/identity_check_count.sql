-- One identity check more for a key or a citizen today (UTC): the day's count, this one included.
INSERT INTO identity_check_counts (day, kind, subject, checks)
VALUES ((now() AT TIME ZONE 'UTC')::date, $1, $2, 1)
ON CONFLICT (day, kind, subject) DO UPDATE SET checks = identity_check_counts.checks + 1
RETURNING checks
