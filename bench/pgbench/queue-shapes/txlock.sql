-- One UPDATE per message: the claim is a row lock (FOR UPDATE SKIP LOCKED) held by a transaction left
-- open while the messages are "sent", and the record updates them to 'sent' in that transaction.
-- (What the gateway would give up for it: a connection and an open transaction per claim in flight,
-- and an attempt counted, and a lease that runs out, for a worker that dies mid-send.)
\set claim random(1, 10)
\if :claim = 1
BEGIN;
SELECT COALESCE(string_agg(CAST(id AS text), ','), '') AS ids, count(*) AS claimed FROM (SELECT m.id, m.api_key_id, m.attempts, m.sender, m.sender_name, m.reply_to, m.to_recipients, m.cc_recipients, m.bcc_recipients, m.subject, m.text_body, m.html_body, m.headers, m.created_at, m.request_id, m.last_error, m.attachment_count FROM messages m WHERE status IN ('queued', 'sending') AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT 10 FOR UPDATE SKIP LOCKED) AS c \gset
UPDATE messages SET status = 'sent', attempts = attempts + 1, sent_at = now(), transport = 'smtp', last_error = NULL, locked_until = NULL, updated_at = now() WHERE id = ANY(CAST(string_to_array(:ids, ',') AS uuid[]));
COMMIT;
\endif
