-- The reference lifecycle with the record as the gateway's DeliveryQueue.RECORD runs it: the claimed
-- rows locked first, in the order of their ids (FOR UPDATE in a CTE, against a deadlock with a lease
-- renewal), then updated to 'sent' (a row lock and then an update of each row).
\set claim random(1, 10)
\if :claim = 1
WITH claimed AS (UPDATE messages AS m SET status = 'sending', attempts = m.attempts + 1, locked_until = now() + make_interval(secs => 30), next_attempt_at = now() + make_interval(secs => 30), updated_at = now() WHERE m.id IN (SELECT id FROM messages WHERE status IN ('queued', 'sending') AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT 10 FOR UPDATE SKIP LOCKED) RETURNING m.id, m.api_key_id, m.attempts, m.sender, m.sender_name, m.reply_to, m.to_recipients, m.cc_recipients, m.bcc_recipients, m.subject, m.text_body, m.html_body, m.headers, m.created_at, m.request_id, m.last_error, m.attachment_count) SELECT COALESCE(string_agg(CAST(id AS text), ','), '') AS ids, count(*) AS claimed FROM claimed \gset
WITH v AS (SELECT m.id FROM messages AS m WHERE m.id = ANY(CAST(string_to_array(:ids, ',') AS uuid[])) AND m.status = 'sending' ORDER BY m.id FOR UPDATE OF m) UPDATE messages AS m SET status = 'sent', sent_at = now(), transport = 'smtp', last_error = NULL, locked_until = NULL, updated_at = now() FROM v WHERE m.id = v.id AND m.status = 'sending';
\endif
