-- Leases in a small table of their own: one row per claim, naming its messages.
CREATE TABLE delivery_leases (id bigserial PRIMARY KEY, message_ids uuid[] NOT NULL, lease_until timestamptz NOT NULL);
