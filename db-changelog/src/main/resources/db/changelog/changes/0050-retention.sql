--liquibase formatted sql

--changeset mgw:0050-retention-bodies-removed-at
--comment: Retention (SPEC §14): when a finished message's bodies, raw MIME and attachment bytes were removed. A nullable column without a default: no table rewrite.
ALTER TABLE messages ADD COLUMN bodies_removed_at timestamptz;
--rollback ALTER TABLE messages DROP COLUMN bodies_removed_at;

--changeset mgw:0050-retention-indexes runInTransaction:false
--comment: Retention finds finished messages (any status but queued and sending, canceled included) and finished webhook deliveries by the time they finished, oldest first, without reading the rest; built CONCURRENTLY so that a rolling upgrade keeps accepting mail meanwhile.
CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_finished ON messages (updated_at)
    WHERE status NOT IN ('queued', 'sending');
CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_bodies_kept ON messages (updated_at)
    WHERE status NOT IN ('queued', 'sending') AND bodies_removed_at IS NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS webhook_deliveries_finished ON webhook_deliveries (updated_at)
    WHERE status <> 'pending';
CREATE INDEX CONCURRENTLY IF NOT EXISTS batch_requests_created ON batch_requests (created_at);
--rollback DROP INDEX messages_finished; DROP INDEX messages_bodies_kept; DROP INDEX webhook_deliveries_finished; DROP INDEX batch_requests_created;
