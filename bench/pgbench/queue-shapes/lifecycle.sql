-- SPEC §9's reference lifecycle as make bench runs it (Pgbench.LIFECYCLE), and the gateway's outbox today:
-- the accept, then in one transaction in ten a claim of up to 10 due messages (an UPDATE of each row to
-- 'sending', which changes indexed columns: not HOT) and one UPDATE recording them sent (not HOT either).
\set claim random(1, 10)
\if :claim = 1
WITH claimed AS (UPDATE messages AS m SET status = 'sending', attempts = m.attempts + 1, locked_until = now() + make_interval(secs => 30), next_attempt_at = now() + make_interval(secs => 30), updated_at = now() WHERE m.id IN (SELECT id FROM messages WHERE status IN ('queued', 'sending') AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT 10 FOR UPDATE SKIP LOCKED) RETURNING m.id, m.api_key_id, m.attempts, m.sender, m.sender_name, m.reply_to, m.to_recipients, m.cc_recipients, m.bcc_recipients, m.subject, m.text_body, m.html_body, m.headers, m.created_at, m.request_id, m.last_error, m.attachment_count) SELECT COALESCE(string_agg(CAST(id AS text), ','), '') AS ids, count(*) AS claimed FROM claimed \gset
UPDATE messages SET status = 'sent', sent_at = now(), transport = 'smtp', last_error = NULL, locked_until = NULL, updated_at = now() WHERE id = ANY(CAST(string_to_array(:ids, ',') AS uuid[])) AND status = 'sending';
\endif
