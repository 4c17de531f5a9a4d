-- One UPDATE per message without a transaction left open (leases.setup.sql): claims take turns
-- (a transaction-scoped advisory lock), a claim reads up to 10 due messages that no live lease
-- names and inserts one lease row naming them; the messages themselves are not written. The record
-- deletes the lease row and updates its messages to 'sent', counting the attempt. (A lease that
-- runs out would have its messages' attempts counted by the claim that finds it.)
\set claim random(1, 10)
\if :claim = 1
BEGIN;
SELECT pg_advisory_xact_lock(7001);
WITH c AS (SELECT m.id, m.api_key_id, m.attempts, m.sender, m.sender_name, m.reply_to, m.to_recipients, m.cc_recipients, m.bcc_recipients, m.subject, m.text_body, m.html_body, m.headers, m.created_at, m.request_id, m.last_error, m.attachment_count FROM messages m WHERE m.status IN ('queued', 'sending') AND m.next_attempt_at <= now() AND NOT EXISTS (SELECT 1 FROM delivery_leases l WHERE m.id = ANY(l.message_ids) AND l.lease_until > now()) ORDER BY m.next_attempt_at LIMIT 10), l AS (INSERT INTO delivery_leases (message_ids, lease_until) SELECT array_agg(id), now() + make_interval(secs => 30) FROM c HAVING count(*) > 0 RETURNING id) SELECT COALESCE((SELECT id FROM l), 0) AS lease, count(*) AS claimed FROM c \gset
COMMIT;
WITH d AS (DELETE FROM delivery_leases WHERE id = :lease RETURNING message_ids) UPDATE messages SET status = 'sent', attempts = attempts + 1, sent_at = now(), transport = 'smtp', last_error = NULL, locked_until = NULL, updated_at = now() WHERE id = ANY(ARRAY(SELECT unnest(message_ids) FROM d));
\endif
