--liquibase formatted sql

--changeset mgw:0012-messages-key-page-index runInTransaction:false
--comment: GET /api/v1/messages pages a key's messages newest first by (created_at, id): this index reads one page and no more, whatever the time bounds and cursor. Built concurrently: sends go on meanwhile (an interrupted build leaves an INVALID index to drop by hand, README upgrade notes).
CREATE INDEX CONCURRENTLY messages_key_page ON messages (api_key_id, created_at DESC, id DESC);
--rollback DROP INDEX CONCURRENTLY IF EXISTS messages_key_page;

--changeset mgw:0012-drop-messages-key-recent runInTransaction:false
--comment: messages_key_page serves everything messages_key_recent did; one index less to maintain on every send.
DROP INDEX CONCURRENTLY IF EXISTS messages_key_recent;
--rollback CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_key_recent ON messages (api_key_id, created_at DESC);
