-- A narrow queue row (narrow.setup.sql): the accept also inserts (message_id, due_at); the claim
-- updates the queue rows and reads the messages they name; the record deletes the queue rows and
-- updates the messages to 'sent' (which stay 'queued' until then).
\set claim random(1, 10)
\if :claim = 1
WITH claimed AS (UPDATE queue AS q SET attempts = q.attempts + 1, lease_until = now() + make_interval(secs => 30), due_at = now() + make_interval(secs => 30) WHERE q.message_id IN (SELECT message_id FROM queue WHERE due_at <= now() ORDER BY due_at LIMIT 10 FOR UPDATE SKIP LOCKED) RETURNING q.message_id, q.attempts), rows AS (SELECT m.id, m.api_key_id, c.attempts, m.sender, m.sender_name, m.reply_to, m.to_recipients, m.cc_recipients, m.bcc_recipients, m.subject, m.text_body, m.html_body, m.headers, m.created_at, m.request_id, m.last_error, m.attachment_count FROM claimed c JOIN messages m ON m.id = c.message_id) SELECT COALESCE(string_agg(CAST(id AS text), ','), '') AS ids, count(*) AS claimed FROM rows \gset
WITH done AS (DELETE FROM queue WHERE message_id = ANY(CAST(string_to_array(:ids, ',') AS uuid[])) RETURNING message_id) UPDATE messages SET status = 'sent', sent_at = now(), transport = 'smtp', last_error = NULL, updated_at = now(), attempts = attempts + 1 WHERE id IN (SELECT message_id FROM done);
\endif
