--liquibase formatted sql

--changeset mgw:0020-message-attachments
--comment: Attachments apart from messages, so that claims stay small; a count on the message tells delivery whether to read them.
CREATE TABLE message_attachments (
    message_id   uuid     NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    position     smallint NOT NULL CHECK (position >= 0),
    filename     text     NOT NULL,
    content_type text     NOT NULL,
    -- Set for an inline attachment (referenced as cid: from the HTML body).
    content_id   text,
    size         integer  NOT NULL CHECK (size > 0),
    -- NULL once retention has removed it; size stays for the message view.
    content      bytea,
    PRIMARY KEY (message_id, position)
);
-- Stored uncompressed in TOAST, so that delivery reads it in slices (substring) without
-- decompressing from the start for every slice; most attachments are compressed already.
ALTER TABLE message_attachments ALTER COLUMN content SET STORAGE EXTERNAL;
-- A constant default: no table rewrite.
ALTER TABLE messages ADD COLUMN attachment_count smallint NOT NULL DEFAULT 0;
--rollback ALTER TABLE messages DROP COLUMN attachment_count; DROP TABLE message_attachments;

--changeset mgw:0020-batch-requests
--comment: A batch sent with an Idempotency-Key: what its 202 answered, to answer a replay alike.
CREATE TABLE batch_requests (
    api_key_id       uuid        NOT NULL REFERENCES api_keys (id),
    idempotency_key  text        NOT NULL,
    request_hash     text        NOT NULL,
    -- One entry per item, in request order: {"id": uuid or null, "suppressed": [addresses]}.
    items            jsonb       NOT NULL,
    -- The quota left after the batch was charged.
    accept_remaining integer,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (api_key_id, idempotency_key)
);
--rollback DROP TABLE batch_requests;
