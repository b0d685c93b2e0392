-- House numbers as Vietnam writes them (issue 20): `12A`, `110B`, `38B/2`. The number stays in `house`; what
-- follows it (a letter A–Z, then optionally a slash and a sub-number 1–2047) is `house_suffix`, empty for a bare
-- number. Every house has a number from 1 on.
ALTER TABLE addresses
    ADD COLUMN house_suffix text NOT NULL DEFAULT ''
        CHECK (house_suffix ~ '^[A-Z]?(/([1-9]|[1-9][0-9]|[1-9][0-9][0-9]|1[0-9][0-9][0-9]|20[0-3][0-9]|204[0-7]))?$');
