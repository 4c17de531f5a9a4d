--liquibase formatted sql

--changeset mgw:0010-webhooks
--comment: Webhook endpoints of each key, and the webhook outbox: one delivery row per event and endpoint.
CREATE TABLE webhook_endpoints (
    id                         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    api_key_id                 uuid        NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    url                        text        NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
    description                text,
    -- the event types this endpoint subscribes to (SPEC §11)
    events                     text[]      NOT NULL CHECK (cardinality(events) > 0),
    -- whsec_ + base64 of 32 random bytes; the key of the HMAC, so kept as it is
    secret                     text        NOT NULL,
    -- the secret before the latest rotation: it signs too until it expires
    previous_secret            text,
    previous_secret_expires_at timestamptz,
    enabled                    boolean     NOT NULL DEFAULT true,
    -- why the endpoint was disabled: a 410, three days of failures, or by hand
    disabled_reason            text,
    -- the first failed attempt since the latest delivered one
    failing_since              timestamptz,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now(),
    CHECK ((previous_secret IS NULL) = (previous_secret_expires_at IS NULL))
);
-- Every status change of a message looks up its key's endpoints here, with or without any.
CREATE INDEX webhook_endpoints_key ON webhook_endpoints (api_key_id);

CREATE TABLE webhook_deliveries (
    id                 bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id        uuid        NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    -- the webhook-id header: the same on every attempt and for every endpoint of the event
    event_id           uuid        NOT NULL,
    event_type         text        NOT NULL,
    -- the exact body that is signed and sent, byte for byte the same on every attempt
    payload            text        NOT NULL,
    status             text        NOT NULL DEFAULT 'pending'
                                   CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts           integer     NOT NULL DEFAULT 0,
    -- When a pending row is due; while a worker holds it, when its lease runs out (= locked_until),
    -- so one index finds both new work and work abandoned by a crashed worker.
    next_attempt_at    timestamptz NOT NULL DEFAULT now(),
    locked_until       timestamptz,
    last_response_code integer,
    -- the first 1 KB of the latest response body
    last_response_body text,
    last_error         text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    delivered_at       timestamptz
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
-- An endpoint's deliveries, newest first (listing, replay, the latest delivery of an endpoint).
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id DESC);
--rollback DROP TABLE webhook_deliveries; DROP TABLE webhook_endpoints;
