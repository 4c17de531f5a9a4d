--liquibase formatted sql

--changeset mgw:0011-message-events
--comment: The timeline of each message (SPEC §10). accepted and sent are read from the message row; every other event is a row here.
CREATE TABLE message_events (
    -- time-ordered; also the webhook-id of the event's webhook deliveries
    id          uuid        PRIMARY KEY,
    message_id  uuid        NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    api_key_id  uuid        NOT NULL,
    type        text        NOT NULL
                            CHECK (type IN ('accepted', 'suppressed', 'deferred', 'sent', 'bounced', 'failed', 'canceled')),
    -- null for an event about the whole message
    recipient   text,
    at          timestamptz NOT NULL DEFAULT now(),
    smtp_code   integer,
    smtp_reply  text,
    -- e.g. {"next_attempt_at": "…", "attempt": 2} for deferred
    detail      jsonb
);
CREATE INDEX message_events_message ON message_events (message_id, at, id);
--rollback DROP TABLE message_events;

--changeset mgw:0011-message-relay-reply
--comment: The relay's latest reply on the message row, so that a sent message needs no event row; status also canceled. The CHECK is added NOT VALID and then validated: a scan, no rewrite, writes go on meanwhile.
ALTER TABLE messages ADD COLUMN smtp_code integer;
ALTER TABLE messages ADD COLUMN smtp_reply text;
ALTER TABLE messages DROP CONSTRAINT messages_status_check;
ALTER TABLE messages ADD CONSTRAINT messages_status_check
    CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'canceled')) NOT VALID;
ALTER TABLE messages VALIDATE CONSTRAINT messages_status_check;
--rollback ALTER TABLE messages DROP CONSTRAINT messages_status_check; ALTER TABLE messages ADD CONSTRAINT messages_status_check CHECK (status IN ('queued', 'sending', 'sent', 'failed')); ALTER TABLE messages DROP COLUMN smtp_reply; ALTER TABLE messages DROP COLUMN smtp_code;

--changeset mgw:0011-suppressions
--comment: Addresses not to send to, per key or (key null) for every key (SPEC §4, §10).
CREATE TABLE suppressions (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    api_key_id  uuid        REFERENCES api_keys (id) ON DELETE CASCADE,
    address     text        NOT NULL CHECK (address = lower(address) AND length(address) BETWEEN 3 AND 254),
    reason      text        NOT NULL CHECK (reason IN ('hard_bounce', 'complaint', 'manual')),
    -- the relay's reply for a hard bounce, or an operator's note
    detail      text,
    -- the message whose bounce added it (no reference: retention removes messages, not suppressions)
    message_id  uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    -- null = for good
    expires_at  timestamptz
);
-- One entry per key and address, one global entry per address; the accept check looks up
-- all of a message's recipients through it (address = ANY(…), the key's entries and global ones).
CREATE UNIQUE INDEX suppressions_address_key ON suppressions (address, api_key_id) NULLS NOT DISTINCT;
-- A key's entries (or the global ones), newest first: listing and export.
CREATE INDEX suppressions_key ON suppressions (api_key_id, id DESC);
--rollback DROP TABLE suppressions;
