-- A HOT-friendly claim (hot.setup.sql: fillfactor 60): the claim writes only attempts and locked_until,
-- columns no index names, so it is a heap-only update; the message stays 'queued' (and keeps its
-- next_attempt_at) while leased, and a claim skips rows whose lease has not run out. The record is
-- the same non-HOT UPDATE to 'sent'.
\set claim random(1, 10)
\if :claim = 1
WITH claimed AS (UPDATE messages AS m SET attempts = m.attempts + 1, locked_until = now() + make_interval(secs => 30) WHERE m.id IN (SELECT id FROM messages WHERE status = 'queued' AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until < now()) ORDER BY next_attempt_at LIMIT 10 FOR UPDATE SKIP LOCKED) RETURNING m.id, m.api_key_id, m.attempts, m.sender, m.sender_name, m.reply_to, m.to_recipients, m.cc_recipients, m.bcc_recipients, m.subject, m.text_body, m.html_body, m.headers, m.created_at, m.request_id, m.last_error, m.attachment_count) SELECT COALESCE(string_agg(CAST(id AS text), ','), '') AS ids, count(*) AS claimed FROM claimed \gset
UPDATE messages SET status = 'sent', sent_at = now(), transport = 'smtp', last_error = NULL, locked_until = NULL, updated_at = now() WHERE id = ANY(CAST(string_to_array(:ids, ',') AS uuid[])) AND status = 'queued';
\endif
