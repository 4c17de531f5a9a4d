--liquibase formatted sql

--changeset mgw:0013-smtp-submission
--comment: Messages submitted over SMTP (SPEC §13) keep their MIME as submitted, apart from messages so that claims stay small; a message's source tells delivery whether to read it.
-- A constant default: no table rewrite.
ALTER TABLE messages ADD COLUMN source text NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'smtp'));
CREATE TABLE message_mime (
    message_id    uuid  PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    -- MAIL FROM: the envelope sender the relay gets, which may differ from the From: header
    envelope_from text  NOT NULL,
    -- the message as the client submitted it; NULL once retention has removed it
    content       bytea
);
-- Mostly compressed already (base64 attachments aside) and read whole: no point compressing it again.
ALTER TABLE message_mime ALTER COLUMN content SET STORAGE EXTERNAL;
--rollback DROP TABLE message_mime; ALTER TABLE messages DROP COLUMN source;
