--liquibase formatted sql

--changeset mgw:0003-messages
--comment: The durable outbox and the status record of every accepted message.
CREATE TABLE messages (
    id               uuid        PRIMARY KEY,
    api_key_id       uuid        NOT NULL REFERENCES api_keys (id),
    status           text        NOT NULL DEFAULT 'queued'
                                 CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    sender           text        NOT NULL,
    sender_name      text,
    reply_to         text,
    to_recipients    text[]      NOT NULL,
    cc_recipients    text[]      NOT NULL DEFAULT '{}',
    bcc_recipients   text[]      NOT NULL DEFAULT '{}',
    subject          text        NOT NULL,
    text_body        text,
    html_body        text,
    headers          jsonb       NOT NULL DEFAULT '{}',
    tags             jsonb       NOT NULL DEFAULT '{}',
    send_at          timestamptz,
    attempts         integer     NOT NULL DEFAULT 0,
    -- When a queued row is due; for a sending row, when its lease runs out (= locked_until),
    -- so one index finds both new work and work abandoned by a crashed worker.
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    locked_until     timestamptz,
    last_error       text,
    transport        text        CHECK (transport IN ('smtp', 'sandbox')),
    smtp_message_id  text,
    request_id       text,
    idempotency_key  text,
    request_hash     text,
    -- The quota left after this message was charged: what an idempotent replay answers again.
    accept_remaining integer,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    CHECK (idempotency_key IS NULL OR request_hash IS NOT NULL)
);
CREATE INDEX messages_due ON messages (next_attempt_at) WHERE status IN ('queued', 'sending');
CREATE INDEX messages_key_recent ON messages (api_key_id, created_at DESC);
CREATE UNIQUE INDEX messages_idempotency ON messages (api_key_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
--rollback DROP TABLE messages;
