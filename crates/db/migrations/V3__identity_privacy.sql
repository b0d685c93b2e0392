-- Issue 16, finding 5: the identity check is no location oracle. Each key with `identity:verify` is entitled to one
-- level of identity check (`exact` unless set) and a daily quota; checks are counted per key and per citizen (by the
-- keyed hash of the citizen ID, as in `registrations`) for the day; every check's audit row names the citizen by that
-- hash and the level asked, so that the checks of one person can be listed without storing the ID. Registrations
-- already name the key that created them (`registrations.created_by`): only it, or a key with `registry:admin`,
-- reads, verifies or revokes them.

ALTER TABLE api_keys
    ADD COLUMN identity_level text CHECK (identity_level IN ('province', 'ward', 'building', 'exact')),
    ADD COLUMN identity_daily_quota integer CHECK (identity_daily_quota >= 0);

-- Identity checks of the day (UTC) per key (`subject` = the key id) and per citizen (the keyed hash of the ID).
CREATE TABLE identity_check_counts (
    day     date NOT NULL,
    kind    text NOT NULL CHECK (kind IN ('key', 'citizen')),
    subject bytea NOT NULL,
    checks  integer NOT NULL CHECK (checks >= 0),
    PRIMARY KEY (day, kind, subject)
);

ALTER TABLE audit_log
    ADD COLUMN subject_hash bytea CHECK (length(subject_hash) = 32),
    ADD COLUMN identity_level text;
CREATE INDEX audit_log_subject_idx ON audit_log (subject_hash) WHERE subject_hash IS NOT NULL;
