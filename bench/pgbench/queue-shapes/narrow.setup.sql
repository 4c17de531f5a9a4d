-- The due work in a narrow table of its own instead of the messages_due index on the wide rows.
DROP INDEX messages_due;
CREATE TABLE queue (message_id uuid PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
                    due_at timestamptz NOT NULL, lease_until timestamptz, attempts int NOT NULL DEFAULT 0);
CREATE INDEX queue_due ON queue (due_at);
