-- The national geography, the post-office network and the addresses, in WGS 84 (EPSG:4326).
-- Codes are the official ones: province (2 digits), ward (5 digits), postcode (5 digits).
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE provinces (
    code      text PRIMARY KEY CHECK (code ~ '^[0-9]{2}$'),
    name      text NOT NULL,
    name_en   text NOT NULL,
    kind      text NOT NULL,
    geom      geometry(MultiPolygon, 4326) NOT NULL
);
CREATE INDEX provinces_geom_idx ON provinces USING gist (geom);

CREATE TABLE wards (
    code          text PRIMARY KEY CHECK (code ~ '^[0-9]{5}$'),
    -- position of the ward in diachi's geography (its index in memory)
    idx           integer NOT NULL UNIQUE,
    province_code text NOT NULL REFERENCES provinces (code),
    name          text NOT NULL,
    kind          text NOT NULL,
    postcode      text NOT NULL CHECK (postcode ~ '^[0-9]{5}$'),
    geom          geometry(MultiPolygon, 4326) NOT NULL
);
CREATE INDEX wards_geom_idx ON wards USING gist (geom);
CREATE INDEX wards_postcode_idx ON wards (postcode);
CREATE INDEX wards_province_idx ON wards (province_code);

-- A postal zone is the union of the wards that share its postcode.
CREATE TABLE postal_zones (
    postcode      text PRIMARY KEY CHECK (postcode ~ '^[0-9]{5}$'),
    province_code text NOT NULL REFERENCES provinces (code),
    geom          geometry(MultiPolygon, 4326) NOT NULL
);
CREATE INDEX postal_zones_geom_idx ON postal_zones USING gist (geom);

CREATE TABLE post_offices (
    id        integer PRIMARY KEY CHECK (id >= 0),
    name      text NOT NULL,
    kind      text NOT NULL,
    ward_code text NOT NULL REFERENCES wards (code),
    geom      geometry(Point, 4326) NOT NULL,
    h3_r10    bigint NOT NULL,
    h3_r6     bigint NOT NULL
);
CREATE INDEX post_offices_geom_idx ON post_offices USING gist (geom);
CREATE INDEX post_offices_ward_idx ON post_offices (ward_code);

-- Delivery points. `da_cell` is the level-9 cell of the digital address (its base-25 index), `da_unit` the unit
-- within it (1 = the bare code); the pair is unique, and `digital_address` is its text form.
-- No foreign key to wards: the bulk import would check 27 million rows one by one; writes through the API check the
-- ward instead.
CREATE SEQUENCE addresses_id_seq AS bigint MINVALUE 0 START 0 MAXVALUE 4294967294;
CREATE TABLE addresses (
    id              bigint PRIMARY KEY DEFAULT nextval('addresses_id_seq') CHECK (id BETWEEN 0 AND 4294967294),
    ward_code       text NOT NULL CHECK (ward_code ~ '^[0-9]{5}$'),
    street          text NOT NULL,
    house           integer NOT NULL CHECK (house BETWEEN 0 AND 65535),
    alley           integer NOT NULL DEFAULT 0 CHECK (alley BETWEEN 0 AND 65535),
    apartment       integer NOT NULL DEFAULT 0 CHECK (apartment BETWEEN 0 AND 65535),
    da_cell         bigint NOT NULL,
    da_unit         integer NOT NULL CHECK (da_unit BETWEEN 1 AND 65535),
    digital_address text NOT NULL,
    geom            geometry(Point, 4326) NOT NULL,
    h3_r10          bigint NOT NULL,
    h3_r6           bigint NOT NULL
);
ALTER SEQUENCE addresses_id_seq OWNED BY addresses.id;
CREATE INDEX addresses_geom_idx ON addresses USING gist (geom);
CREATE UNIQUE INDEX addresses_da_idx ON addresses (da_cell, da_unit);
CREATE INDEX addresses_ward_idx ON addresses (ward_code);
CREATE INDEX addresses_h3_r10_idx ON addresses (h3_r10);
CREATE INDEX addresses_h3_r6_idx ON addresses (h3_r6);

-- Every change to an address, in order: running instances apply the changes after the one they have seen, when
-- notified and after reconnecting (a notification sent while an instance was disconnected is not lost).
CREATE TABLE address_changes (
    seq        bigserial PRIMARY KEY,
    address_id bigint NOT NULL,
    op         text NOT NULL CHECK (op IN ('INSERT', 'UPDATE', 'DELETE')),
    changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION record_address_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    s bigint;
BEGIN
    INSERT INTO address_changes (address_id, op)
    VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END, TG_OP)
    RETURNING seq INTO s;
    PERFORM pg_notify('diachi_addresses', s::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER addresses_changed
AFTER INSERT OR UPDATE OR DELETE ON addresses
FOR EACH ROW EXECUTE FUNCTION record_address_change();
