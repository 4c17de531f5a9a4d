--liquibase formatted sql

--changeset mgw:0001-api-keys
--comment: API keys: the secret is only kept as a bcrypt hash; the 12-character prefix is the lookup handle.
CREATE TABLE api_keys (
    id                 uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name               text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    key_prefix         text        NOT NULL CHECK (length(key_prefix) = 12),
    key_hash           text        NOT NULL,
    daily_limit        integer     NOT NULL DEFAULT 15 CHECK (daily_limit >= 0),
    is_active          boolean     NOT NULL DEFAULT true,
    allowed_recipients text[],
    created_at         timestamptz NOT NULL DEFAULT now(),
    revoked_at         timestamptz,
    last_used_at       timestamptz,
    CHECK (is_active = (revoked_at IS NULL))
);
-- A name and a prefix each identify one active key; revoked keys keep theirs for the record.
CREATE UNIQUE INDEX api_keys_active_name ON api_keys (name) WHERE is_active;
CREATE UNIQUE INDEX api_keys_active_prefix ON api_keys (key_prefix) WHERE is_active;
--rollback DROP TABLE api_keys;
