--liquibase formatted sql

--changeset mgw:0004-failed-messages-index
--comment: `mgw messages list --status failed` on a large outbox: failed messages are few, find them by index.
CREATE INDEX messages_failed ON messages (created_at DESC) WHERE status = 'failed';
--rollback DROP INDEX messages_failed;
