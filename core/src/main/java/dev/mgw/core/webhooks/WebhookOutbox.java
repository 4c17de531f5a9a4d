package dev.mgw.core.webhooks;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import dev.mgw.core.MgwException;
import dev.mgw.core.config.Secret;
import dev.mgw.core.db.Database;
import dev.mgw.core.db.Rows;
import dev.mgw.core.events.Event;
import dev.mgw.core.events.EventPayload;
import dev.mgw.core.messages.MessageIds;

import io.helidon.dbclient.DbExecute;
import io.helidon.dbclient.DbRow;

/**
 * The webhook outbox (SPEC §11): one {@code webhook_deliveries} row per event and subscribed
 * endpoint, written in the transaction of the change the event records, so that an event is
 * never lost; workers claim due rows under a lease with {@code FOR UPDATE SKIP LOCKED}, post them
 * outside any transaction, and record each outcome only while the row is still at the attempt
 * they claimed.
 */
public final class WebhookOutbox {
    /**
     * One statement per event: the key's enabled endpoints that subscribe to the type, found
     * through the index on the key, each get a row with the payload built by PostgreSQL. A key
     * without endpoints pays that one index lookup, and no payload is built.
     */
    private static final String ENQUEUE = """
            INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, payload)
            SELECT e.id, CAST(:event_id AS uuid), CAST(:type AS text), CAST(""" + EventPayload.SQL + """
             AS text)
              FROM webhook_endpoints e
             WHERE e.api_key_id = CAST(:key AS uuid) AND e.enabled AND CAST(:type AS text) = ANY(e.events)
            """;
    /** Which of some keys have an enabled endpoint: one look at webhook_endpoints_key for a batch of events. */
    private static final String KEYS_WITH_ENDPOINTS = """
            SELECT DISTINCT api_key_id FROM webhook_endpoints
             WHERE api_key_id = ANY(CAST(? AS uuid[])) AND enabled
            """;
    /** A test event goes to the one endpoint asked for, whatever it subscribes to. */
    private static final String ENQUEUE_TEST = """
            INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, payload)
            SELECT e.id, CAST(:event_id AS uuid), CAST(:type AS text), CAST(""" + EventPayload.SQL + """
             AS text)
              FROM webhook_endpoints e
             WHERE e.id = CAST(:endpoint AS uuid) AND e.api_key_id = CAST(:key AS uuid)
            """;
    /** Due work through the partial index on next_attempt_at; for a claimed row that is the lease end. */
    private static final String CLAIM = """
            UPDATE webhook_deliveries AS d
               SET attempts = d.attempts + 1,
                   locked_until = now() + make_interval(secs => :lease),
                   next_attempt_at = now() + make_interval(secs => :lease),
                   updated_at = now()
              FROM webhook_endpoints e
             WHERE d.id IN (SELECT id FROM webhook_deliveries
                             WHERE status = 'pending' AND next_attempt_at <= now()
                             ORDER BY next_attempt_at
                             LIMIT :batch
                             FOR UPDATE SKIP LOCKED)
               AND e.id = d.endpoint_id
            RETURNING d.id, d.endpoint_id, e.api_key_id, d.event_id, d.event_type, d.payload, d.attempts, d.created_at,
                      e.url, e.secret, CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret END
                                       AS previous_secret
            """;
    /**
     * The outcomes of a batch, fenced by attempt, and what they mean for their endpoints: a
     * delivered one clears the endpoint's failure record, a failed one starts it; a 410, or a
     * failure three days after the first one with nothing delivered since, disables the endpoint,
     * and its other pending deliveries fail with it.
     */
    private static final String RECORD = """
            WITH v AS (
                SELECT * FROM unnest(CAST(:ids AS bigint[]), CAST(:attempts AS integer[]), CAST(:statuses AS text[]),
                                     CAST(:codes AS integer[]), CAST(:bodies AS text[]), CAST(:errors AS text[]),
                                     CAST(:next AS timestamptz[]), CAST(:gone AS boolean[]))
                       AS v(id, attempt, status, code, body, error, next_attempt_at, gone)
            ), batch AS (
                SELECT v.*, d.endpoint_id
                  FROM v JOIN webhook_deliveries d ON d.id = v.id AND d.status = 'pending' AND d.attempts = v.attempt
            ), health AS (
                SELECT endpoint_id, bool_or(status = 'delivered') AS ok, bool_or(gone) AS gone
                  FROM batch GROUP BY endpoint_id
            ), ended AS (
                SELECT e.id, CASE WHEN h.gone THEN 'it answered 410 Gone'
                                  ELSE 'every delivery failed for 3 days' END AS reason
                  FROM webhook_endpoints e JOIN health h ON h.endpoint_id = e.id
                 WHERE e.enabled AND (h.gone OR (NOT h.ok AND e.failing_since <= now() - interval '3 days'))
            ), endpoints AS (
                UPDATE webhook_endpoints e
                   SET failing_since = CASE WHEN h.ok THEN NULL ELSE COALESCE(e.failing_since, now()) END,
                       enabled = e.enabled AND ended.id IS NULL,
                       disabled_reason = COALESCE(ended.reason, e.disabled_reason),
                       updated_at = now()
                  FROM health h LEFT JOIN ended ON ended.id = h.endpoint_id
                 WHERE e.id = h.endpoint_id
                   AND (ended.id IS NOT NULL OR (h.ok AND e.failing_since IS NOT NULL)
                        OR (NOT h.ok AND e.failing_since IS NULL))
            ), recorded AS (
                UPDATE webhook_deliveries d
                   SET status = CASE WHEN b.status = 'pending' AND ended.id IS NOT NULL THEN 'failed' ELSE b.status END,
                       last_response_code = b.code,
                       last_response_body = b.body,
                       last_error = b.error,
                       next_attempt_at = COALESCE(b.next_attempt_at, d.next_attempt_at),
                       locked_until = NULL,
                       updated_at = now(),
                       delivered_at = CASE WHEN b.status = 'delivered' THEN now() END
                  FROM batch b LEFT JOIN ended ON ended.id = b.endpoint_id
                 WHERE d.id = b.id AND d.status = 'pending' AND d.attempts = b.attempt
                RETURNING d.id
            ), dropped AS (
                UPDATE webhook_deliveries d
                   SET status = 'failed', last_error = 'endpoint disabled: ' || ended.reason, locked_until = NULL,
                       updated_at = now()
                  FROM ended
                 WHERE d.endpoint_id = ended.id AND d.status = 'pending' AND d.id NOT IN (SELECT id FROM batch)
            )
            SELECT count(*) AS recorded FROM recorded
            """;
    private static final String ENDPOINT_STATE = "SELECT enabled FROM webhook_endpoints WHERE id = :id FOR SHARE";
    private static final String REPLAY = """
            UPDATE webhook_deliveries
               SET status = 'pending', attempts = 0, next_attempt_at = now(), locked_until = NULL, updated_at = now()
             WHERE endpoint_id = :id AND status = 'failed' AND created_at >= :since
            """;
    /** Newest first, after the cursor (a delivery id), optionally of one status. */
    private static final String LIST = """
            SELECT id, event_id, event_type, status, attempts, next_attempt_at, last_response_code, last_response_body,
                   last_error, created_at, updated_at, delivered_at
              FROM webhook_deliveries
             WHERE endpoint_id = :endpoint
               AND (CAST(:status AS text) IS NULL OR status = CAST(:status AS text))
               AND (CAST(:before AS bigint) IS NULL OR id < CAST(:before AS bigint))
             ORDER BY id DESC
             LIMIT :limit
            """;
    private static final String DEPTH = "SELECT count(*) AS depth FROM webhook_deliveries WHERE status = 'pending'";

    private final Database database;
    private final Clock clock;
    private final Runnable enqueued;

    /** {@code enqueued} is told when this process wrote deliveries: its workers look for them at once. */
    public WebhookOutbox(Database database, Clock clock, Runnable enqueued) {
        this.database = database;
        this.clock = clock;
        this.enqueued = enqueued;
    }

    /**
     * Writes the event's deliveries, one for each enabled endpoint of the key that subscribes to
     * its type, in the caller's transaction (or autocommit statement): the event is stored
     * exactly when the change it records is. Returns how many deliveries were written; the
     * workers of this process are woken when there are any (a worker that looks before the
     * caller commits looks again moments later).
     */
    public long enqueue(DbExecute tx, UUID keyId, Event event) {
        return enqueue(tx, keyId, MessageIds.next(clock), event);
    }

    /** As {@link #enqueue(DbExecute, UUID, Event)}, with the event's id (its {@code webhook-id}) given. */
    public long enqueue(DbExecute tx, UUID keyId, UUID eventId, Event event) {
        long written = EventPayload.bind(tx.createNamedInsert("enqueue-webhook-event", ENQUEUE), keyId, event)
                .addParam("event_id", eventId.toString())
                .addParam("type", event.type().wireName())
                .addParam("key", keyId.toString())
                .execute();
        if (written > 0) {
            enqueued.run();
        }
        return written;
    }

    /**
     * The keys among {@code keys} with an enabled endpoint, read in the caller's transaction: a
     * batch of events of keys without endpoints (the common case) then costs this one statement
     * instead of one {@link #enqueue} each. An endpoint created meanwhile is seen as by enqueue:
     * if it committed before this statement.
     */
    public Set<UUID> keysWithEndpoints(DbExecute tx, Collection<UUID> keys) {
        if (keys.isEmpty()) {
            return Set.of();
        }
        return tx.createNamedQuery("keys-with-webhook-endpoints", KEYS_WITH_ENDPOINTS)
                .addParam(keys.stream().map(UUID::toString).toArray(String[]::new))
                .execute()
                .map(row -> Rows.uuid(row, "api_key_id"))
                .collect(Collectors.toSet());
    }

    /** Queues a test event to one endpoint of the key, in the caller's transaction; its event id if the endpoint is the key's. */
    Optional<UUID> enqueueTest(DbExecute tx, UUID keyId, UUID endpointId, Event test) {
        UUID eventId = MessageIds.next(clock);
        long written = EventPayload.bind(tx.createInsert(ENQUEUE_TEST), keyId, test)
                .addParam("event_id", eventId.toString())
                .addParam("type", test.type().wireName())
                .addParam("endpoint", endpointId.toString())
                .addParam("key", keyId.toString())
                .execute();
        return written == 0 ? Optional.empty() : Optional.of(eventId);
    }

    /** Tells the workers that deliveries were written (once the transaction that wrote them commits). */
    void wake() {
        enqueued.run();
    }

    /** Claims up to {@code batch} due deliveries for {@code lease}; each claim counts an attempt. */
    public List<ClaimedDelivery> claim(int batch, Duration lease) {
        return database.run(() -> database.client().execute()
                .createNamedQuery("claim-webhook-deliveries", CLAIM)
                .addParam("lease", (double) lease.toMillis() / 1000)
                .addParam("batch", batch)
                .execute()
                .map(WebhookOutbox::claimed)
                .toList());
    }

    /**
     * Records outcomes in one statement (see {@link #RECORD}). Returns how many were recorded: an
     * outcome whose attempt lost its claim in the meantime (its lease ran out, the endpoint was
     * disabled) is dropped.
     */
    public long record(List<WebhookOutcome> outcomes) {
        if (outcomes.isEmpty()) {
            return 0;
        }
        int n = outcomes.size();
        Long[] ids = new Long[n];
        Integer[] attempts = new Integer[n];
        String[] statuses = new String[n];
        Integer[] codes = new Integer[n];
        String[] bodies = new String[n];
        String[] errors = new String[n];
        String[] next = new String[n];
        Boolean[] gone = new Boolean[n];
        for (int i = 0; i < n; i++) {
            WebhookOutcome outcome = outcomes.get(i);
            ids[i] = outcome.id();
            attempts[i] = outcome.attempt();
            codes[i] = outcome.response().map(WebhookOutcome.Response::code).orElse(null);
            bodies[i] = outcome.response().map(WebhookOutcome.Response::bodyExcerpt).orElse(null);
            gone[i] = false;
            switch (outcome) {
                case WebhookOutcome.Delivered delivered -> statuses[i] = "delivered";
                case WebhookOutcome.Retry retry -> {
                    statuses[i] = "pending";
                    errors[i] = retry.error();
                    next[i] = retry.nextAttemptAt().toString();
                }
                case WebhookOutcome.Failed failed -> {
                    statuses[i] = "failed";
                    errors[i] = failed.error();
                    gone[i] = failed.gone();
                }
            }
        }
        return database.run(() -> database.client().execute()
                .createNamedGet("record-webhook-outcomes", RECORD)
                .addParam("ids", ids)
                .addParam("attempts", attempts)
                .addParam("statuses", statuses)
                .addParam("codes", codes)
                .addParam("bodies", bodies)
                .addParam("errors", errors)
                .addParam("next", next)
                .addParam("gone", gone)
                .execute()
                .map(row -> Rows.longValue(row, "recorded"))
                .orElse(0L));
    }

    /**
     * Queues the endpoint's failed deliveries of events since {@code since} again, with a fresh
     * set of attempts (same event ids and bodies). Returns how many.
     */
    public long replay(UUID endpointId, Instant since) {
        return database.inTransaction(tx -> {
            boolean enabled = tx.createGet(ENDPOINT_STATE).addParam("id", endpointId).execute()
                    .map(row -> Rows.bool(row, "enabled"))
                    .orElseThrow(() -> new MgwException("no webhook endpoint " + endpointId));
            if (!enabled) {
                throw new MgwException("webhook endpoint " + endpointId + " is disabled; enable it first "
                                       + "(mgw webhooks enable " + endpointId + ")");
            }
            long replayed = tx.createUpdate(REPLAY)
                    .addParam("id", endpointId)
                    .addParam("since", Rows.param(since))
                    .execute();
            if (replayed > 0) {
                wake();
            }
            return replayed;
        });
    }

    /** One page of an endpoint's deliveries, newest first, after the cursor (a delivery id). */
    public List<DeliveryView> deliveries(UUID endpointId, Optional<String> status, Optional<Long> before, int limit) {
        return database.run(() -> database.client().execute()
                .createQuery(LIST)
                .addParam("endpoint", endpointId)
                .addParam("status", status.orElse(null))
                .addParam("before", before.orElse(null))
                .addParam("limit", limit)
                .execute()
                .map(WebhookOutbox::view)
                .toList());
    }

    /** Deliveries waiting or being attempted, across all processes. */
    public long depth() {
        return database.run(() -> database.client().execute()
                .createGet(DEPTH)
                .execute()
                .map(row -> Rows.longValue(row, "depth"))
                .orElse(0L));
    }

    private static ClaimedDelivery claimed(DbRow row) {
        return new ClaimedDelivery(Rows.longValue(row, "id"),
                                   Rows.uuid(row, "endpoint_id"),
                                   Rows.uuid(row, "api_key_id"),
                                   Rows.uuid(row, "event_id"),
                                   Rows.string(row, "event_type"),
                                   Rows.string(row, "payload"),
                                   Rows.integer(row, "attempts"),
                                   Rows.instant(row, "created_at"),
                                   Rows.string(row, "url"),
                                   Secret.of(Rows.string(row, "secret")),
                                   Rows.optionalString(row, "previous_secret").map(Secret::of));
    }

    private static DeliveryView view(DbRow row) {
        String status = Rows.string(row, "status");
        return new DeliveryView(Rows.longValue(row, "id"),
                                Rows.uuid(row, "event_id"),
                                Rows.string(row, "event_type"),
                                status,
                                Rows.integer(row, "attempts"),
                                status.equals("pending") ? Rows.optionalInstant(row, "next_attempt_at") : Optional.empty(),
                                Rows.optionalInteger(row, "last_response_code"),
                                Rows.optionalString(row, "last_response_body"),
                                Rows.optionalString(row, "last_error"),
                                Rows.instant(row, "created_at"),
                                Rows.instant(row, "updated_at"),
                                Rows.optionalInstant(row, "delivered_at"));
    }
}
