-- API keys, resident registrations and the audit log (issue 6). No personal data in plain text: names, phone
-- numbers, citizen ID numbers and addresses tied to a person are sealed with XChaCha20-Poly1305 by the service
-- (nonce ‖ ciphertext ‖ tag, bound to the row and column); citizen IDs are looked up by a keyed hash (HMAC-SHA256)
-- and verification codes are stored only as a keyed hash. The keys live in the service's configuration, never here.

-- API keys: only the SHA-256 of the secret part is kept.
CREATE TABLE api_keys (
    id            text PRIMARY KEY CHECK (id ~ '^[a-z0-9]{8}$'),
    name          text NOT NULL,
    scopes        text[] NOT NULL,
    secret_sha256 bytea NOT NULL CHECK (length(secret_sha256) = 32),
    rate_limit    integer CHECK (rate_limit >= 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz
);

-- A resident's registration of an address: pending until the post hands over the one-time code on paper and the
-- resident enters it, then verified.
CREATE TABLE registrations (
    id                uuid PRIMARY KEY,
    citizen_hash      bytea NOT NULL CHECK (length(citizen_hash) = 32),
    citizen_id_enc    bytea NOT NULL,
    name_enc          bytea NOT NULL,
    phone_enc         bytea NOT NULL,
    address_text_enc  bytea NOT NULL,
    -- the resolved address (ward, address id, digital address), sealed
    target_enc        bytea NOT NULL,
    status            text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'verified', 'locked', 'expired', 'revoked', 'superseded')),
    code_hash         bytea NOT NULL CHECK (length(code_hash) = 32),
    attempts          integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    expires_at        timestamptz NOT NULL,
    post_office_id    integer,
    created_by        text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    verified_at       timestamptz,
    revoked_at        timestamptz
);
CREATE INDEX registrations_citizen_idx ON registrations (citizen_hash, created_at DESC);
-- at most one verified registration per citizen
CREATE UNIQUE INDEX registrations_one_verified_idx ON registrations (citizen_hash) WHERE status = 'verified';

-- Every registry and identity request: who (key id), what, how it ended, when. Append-only.
CREATE TABLE audit_log (
    seq             bigserial PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    request_id      text NOT NULL,
    key_id          text,
    action          text NOT NULL,
    outcome         text NOT NULL,
    status          integer NOT NULL,
    registration_id uuid
);
CREATE INDEX audit_log_registration_idx ON audit_log (registration_id) WHERE registration_id IS NOT NULL;

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
