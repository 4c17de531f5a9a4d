-- One UPDATE per message without a transaction left open (leases.setup.sql): claims take turns
-- (a transaction-scoped advisory lock), a claim reads up to 10 due messages that no live lease
-- names and inserts one lease row naming them; the messages themselves are not written. The record
-- deletes the lease row and updates its messages to 'sent', counting the attempt. (A lease that
-- runs out would have its messages' attempts counted by the claim that finds it.)
\set k random(1, 100)
WITH charged AS (INSERT INTO daily_usage AS u (api_key_id, date, count) SELECT k.id, CAST((now() AT TIME ZONE 'UTC') AS date), 1 FROM api_keys k WHERE k.id = CAST(md5('bench-' || :k) AS uuid) AND k.is_active AND k.key_hash = k.key_hash AND 1 <= k.daily_limit ON CONFLICT (api_key_id, date) DO UPDATE SET count = u.count + EXCLUDED.count WHERE u.count + EXCLUDED.count <= (SELECT daily_limit FROM api_keys WHERE id = u.api_key_id) RETURNING u.count AS used, (SELECT daily_limit FROM api_keys WHERE id = u.api_key_id) AS daily_limit), msg AS (INSERT INTO messages (id, api_key_id, sender, sender_name, reply_to, to_recipients, cc_recipients, bcc_recipients, subject, text_body, html_body, headers, tags, send_at, next_attempt_at, request_id, idempotency_key, request_hash) SELECT CAST(lpad(to_hex(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '7' || substr(md5(random()::text), 1, 19) AS uuid), CAST(md5('bench-' || :k) AS uuid), 'bench@bench.example', NULL, NULL, '{user@example.com}', '{}', '{}', 'Benchmark', 'Hello from the benchmark', NULL, CAST('{}' AS jsonb), CAST('{}' AS jsonb), NULL, COALESCE(NULL, now()), 'pgbench', NULL, NULL FROM charged RETURNING id) SELECT msg.id, charged.used, charged.daily_limit FROM charged LEFT JOIN msg ON true;
\set claim random(1, 10)
\if :claim = 1
BEGIN;
SELECT pg_advisory_xact_lock(7001);
WITH c AS (SELECT m.id, m.api_key_id, m.attempts, m.sender, m.sender_name, m.reply_to, m.to_recipients, m.cc_recipients, m.bcc_recipients, m.subject, m.text_body, m.html_body, m.headers, m.created_at, m.request_id, m.last_error, m.attachment_count FROM messages m WHERE m.status IN ('queued', 'sending') AND m.next_attempt_at <= now() AND NOT EXISTS (SELECT 1 FROM delivery_leases l WHERE m.id = ANY(l.message_ids) AND l.lease_until > now()) ORDER BY m.next_attempt_at LIMIT 10), l AS (INSERT INTO delivery_leases (message_ids, lease_until) SELECT array_agg(id), now() + make_interval(secs => 30) FROM c HAVING count(*) > 0 RETURNING id) SELECT COALESCE((SELECT id FROM l), 0) AS lease, count(*) AS claimed FROM c \gset
COMMIT;
WITH d AS (DELETE FROM delivery_leases WHERE id = :lease RETURNING message_ids) UPDATE messages SET status = 'sent', attempts = attempts + 1, sent_at = now(), transport = 'smtp', last_error = NULL, locked_until = NULL, updated_at = now() WHERE id = ANY(ARRAY(SELECT unnest(message_ids) FROM d));
\endif
