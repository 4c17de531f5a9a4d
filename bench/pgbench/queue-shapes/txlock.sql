-- One UPDATE per message: the claim is a row lock (FOR UPDATE SKIP LOCKED) held by a transaction left
-- open while the messages are "sent", and the record updates them to 'sent' in that transaction.
-- (What the gateway would give up for it: a connection and an open transaction per claim in flight,
-- and an attempt counted, and a lease that runs out, for a worker that dies mid-send.)
\set k random(1, 100)
WITH charged AS (INSERT INTO daily_usage AS u (api_key_id, date, count) SELECT k.id, CAST((now() AT TIME ZONE 'UTC') AS date), 1 FROM api_keys k WHERE k.id = CAST(md5('bench-' || :k) AS uuid) AND k.is_active AND k.key_hash = k.key_hash AND 1 <= k.daily_limit ON CONFLICT (api_key_id, date) DO UPDATE SET count = u.count + EXCLUDED.count WHERE u.count + EXCLUDED.count <= (SELECT daily_limit FROM api_keys WHERE id = u.api_key_id) RETURNING u.count AS used, (SELECT daily_limit FROM api_keys WHERE id = u.api_key_id) AS daily_limit), msg AS (INSERT INTO messages (id, api_key_id, sender, sender_name, reply_to, to_recipients, cc_recipients, bcc_recipients, subject, text_body, html_body, headers, tags, send_at, next_attempt_at, request_id, idempotency_key, request_hash) SELECT CAST(lpad(to_hex(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '7' || substr(md5(random()::text), 1, 19) AS uuid), CAST(md5('bench-' || :k) AS uuid), 'bench@bench.example', NULL, NULL, '{user@example.com}', '{}', '{}', 'Benchmark', 'Hello from the benchmark', NULL, CAST('{}' AS jsonb), CAST('{}' AS jsonb), NULL, COALESCE(NULL, now()), 'pgbench', NULL, NULL FROM charged RETURNING id) SELECT msg.id, charged.used, charged.daily_limit FROM charged LEFT JOIN msg ON true;
\set claim random(1, 10)
\if :claim = 1
BEGIN;
SELECT COALESCE(string_agg(CAST(id AS text), ','), '') AS ids, count(*) AS claimed FROM (SELECT m.id, m.api_key_id, m.attempts, m.sender, m.sender_name, m.reply_to, m.to_recipients, m.cc_recipients, m.bcc_recipients, m.subject, m.text_body, m.html_body, m.headers, m.created_at, m.request_id, m.last_error, m.attachment_count FROM messages m WHERE status IN ('queued', 'sending') AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT 10 FOR UPDATE SKIP LOCKED) AS c \gset
UPDATE messages SET status = 'sent', attempts = attempts + 1, sent_at = now(), transport = 'smtp', last_error = NULL, locked_until = NULL, updated_at = now() WHERE id = ANY(CAST(string_to_array(:ids, ',') AS uuid[]));
COMMIT;
\endif
