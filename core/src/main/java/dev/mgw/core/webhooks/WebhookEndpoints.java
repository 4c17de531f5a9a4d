package dev.mgw.core.webhooks;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import dev.mgw.core.MgwException;
import dev.mgw.core.db.Database;
import dev.mgw.core.db.Rows;
import dev.mgw.core.events.Event;
import dev.mgw.core.keys.KeyNoLongerValidException;

import io.helidon.dbclient.DbRow;
import io.helidon.dbclient.DbTransaction;

/**
 * The {@code webhook_endpoints} table (SPEC §5.6): creating, listing, changing, disabling,
 * deleting endpoints and rotating their secrets. Each operation is one transaction that first
 * locks the owner's key row: a key acting through the API proves there that it is still active
 * with the secret it authenticated with, and concurrent creations of one key are counted one
 * after the other (at most {@value #MAX_PER_KEY} endpoints). The lock does not conflict with the
 * accept path, which only reads the key row.
 */
public final class WebhookEndpoints {
    public static final int MAX_PER_KEY = 10;
    public static final String DISABLED_BY_HAND = "disabled by hand";

    private static final String LOCK_KEY = """
            SELECT id FROM api_keys
             WHERE id = :key AND is_active AND (CAST(:hash AS text) IS NULL OR key_hash = CAST(:hash AS text))
               FOR NO KEY UPDATE
            """;
    private static final String COUNT = "SELECT count(*) AS endpoints FROM webhook_endpoints WHERE api_key_id = :key";
    private static final String INSERT = """
            INSERT INTO webhook_endpoints (api_key_id, url, description, events, secret)
            VALUES (:key, :url, :description, CAST(:events AS text[]), :secret)
            RETURNING id
            """;
    /** The owner's endpoints (a key's, or with no key every one), or one of them. */
    private static final String SELECT = """
            SELECT e.id, e.api_key_id, e.url, e.description, e.events, e.enabled, e.disabled_reason, e.failing_since,
                   CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret_expires_at END AS rotated_until,
                   e.created_at, e.updated_at, latest.updated_at AS last_attempt_at, latest.last_response_code
              FROM webhook_endpoints e
              LEFT JOIN LATERAL (SELECT d.updated_at, d.last_response_code
                                   FROM webhook_deliveries d
                                  WHERE d.endpoint_id = e.id AND d.attempts > 0
                                  ORDER BY d.id DESC
                                  LIMIT 1) latest ON true
             WHERE (CAST(:key AS uuid) IS NULL OR e.api_key_id = CAST(:key AS uuid))
               AND (CAST(:id AS uuid) IS NULL OR e.id = CAST(:id AS uuid))
             ORDER BY e.created_at, e.id
            """;
    private static final String SCOPE = " WHERE id = :id AND (CAST(:key AS uuid) IS NULL OR api_key_id = CAST(:key AS uuid))";
    private static final String UPDATE = """
            UPDATE webhook_endpoints
               SET url = COALESCE(CAST(:url AS text), url),
                   events = COALESCE(CAST(:events AS text[]), events),
                   description = CASE WHEN CAST(:description AS text) IS NULL THEN description
                                      ELSE NULLIF(CAST(:description AS text), '') END,
                   updated_at = now()
            """ + SCOPE + " RETURNING id";
    private static final String ENABLE = """
            UPDATE webhook_endpoints SET enabled = true, disabled_reason = NULL, failing_since = NULL, updated_at = now()
            """ + SCOPE + " RETURNING id";
    /** Disabled, its pending deliveries fail with it (`replay` brings them back once it is enabled). */
    private static final String DISABLE = "WITH endpoint AS (UPDATE webhook_endpoints "
                                          + "SET enabled = false, disabled_reason = :reason, updated_at = now()"
                                          + SCOPE + " RETURNING id), " + """
            dropped AS (UPDATE webhook_deliveries d
                           SET status = 'failed', last_error = 'endpoint disabled: ' || CAST(:reason AS text),
                               locked_until = NULL, updated_at = now()
                          FROM endpoint
                         WHERE d.endpoint_id = endpoint.id AND d.status = 'pending')
            SELECT id FROM endpoint
            """;
    private static final String DELETE = "DELETE FROM webhook_endpoints" + SCOPE;
    private static final String ROTATE = """
            UPDATE webhook_endpoints
               SET previous_secret = secret, previous_secret_expires_at = now() + interval '24 hours',
                   secret = :secret, updated_at = now()
            """ + SCOPE + " RETURNING id";

    private final Database database;
    private final EndpointRules rules;
    private final WebhookOutbox outbox;

    public WebhookEndpoints(Database database, EndpointRules rules, WebhookOutbox outbox) {
        this.database = database;
        this.rules = rules;
        this.outbox = outbox;
    }

    /**
     * A new endpoint of the key, subscribed to {@code events} (every type when empty), with a new
     * secret. An operator names the key; a key creates its own.
     */
    public CreatedEndpoint create(Owner owner, UUID keyId, String url, Optional<List<String>> events,
                                  Optional<String> description) {
        List<InvalidEndpointException.FieldError> errors = new ArrayList<>();
        rules.checkUrl(url, errors);
        List<String> types = rules.events(events, errors);
        description.ifPresent(d -> rules.checkDescription(d, errors));
        if (!errors.isEmpty()) {
            throw new InvalidEndpointException(errors);
        }
        String secret = Signatures.newSecret();
        return database.inTransaction(tx -> {
            lockKey(tx, owner, keyId);
            long existing = tx.createGet(COUNT).addParam("key", keyId).execute()
                    .map(row -> Rows.longValue(row, "endpoints")).orElse(0L);
            if (existing >= MAX_PER_KEY) {
                throw new EndpointLimitException(MAX_PER_KEY);
            }
            UUID id = tx.createGet(INSERT)
                    .addParam("key", keyId)
                    .addParam("url", url)
                    .addParam("description", description.filter(d -> !d.isEmpty()).orElse(null))
                    .addParam("events", types.toArray(String[]::new))
                    .addParam("secret", secret)
                    .execute()
                    .map(row -> Rows.uuid(row, "id"))
                    .orElseThrow();
            return new CreatedEndpoint(select(tx, Optional.of(keyId), Optional.of(id)).getFirst(), secret);
        });
    }

    /** The owner's endpoints, oldest first; an operator may narrow them to one key. */
    public List<Endpoint> list(Owner owner, Optional<UUID> keyId) {
        return database.inTransaction(tx -> {
            lockKey(tx, owner);
            return select(tx, owner.keyId().or(() -> keyId), Optional.empty());
        });
    }

    public Optional<Endpoint> find(Owner owner, UUID id) {
        return database.inTransaction(tx -> {
            lockKey(tx, owner);
            return select(tx, owner.keyId(), Optional.of(id)).stream().findFirst();
        });
    }

    /** Applies a PATCH; empty when the owner has no such endpoint. */
    public Optional<Endpoint> update(Owner owner, UUID id, EndpointChanges changes) {
        List<InvalidEndpointException.FieldError> errors = new ArrayList<>();
        changes.url().ifPresent(url -> rules.checkUrl(url, errors));
        Optional<List<String>> types = changes.events().map(events -> rules.events(Optional.of(events), errors));
        changes.description().ifPresent(d -> rules.checkDescription(d, errors));
        if (!errors.isEmpty()) {
            throw new InvalidEndpointException(errors);
        }
        return database.inTransaction(tx -> {
            lockKey(tx, owner);
            Optional<UUID> updated = scoped(tx.createGet(UPDATE), owner, id)
                    .addParam("url", changes.url().orElse(null))
                    .addParam("events", types.map(t -> t.toArray(String[]::new)).orElse(null))
                    .addParam("description", changes.description().orElse(null))
                    .execute()
                    .map(row -> Rows.uuid(row, "id"));
            if (updated.isPresent() && changes.enabled().isPresent()) {
                setEnabled(tx, owner, id, changes.enabled().get(), DISABLED_BY_HAND);
            }
            return updated.flatMap(u -> select(tx, owner.keyId(), Optional.of(u)).stream().findFirst());
        });
    }

    /**
     * Turns an endpoint on (its failure record cleared) or off (its pending deliveries failed,
     * to be replayed once it is on again); empty when the owner has no such endpoint.
     */
    public Optional<Endpoint> setEnabled(Owner owner, UUID id, boolean enabled) {
        return database.inTransaction(tx -> {
            lockKey(tx, owner);
            return setEnabled(tx, owner, id, enabled, DISABLED_BY_HAND)
                    .flatMap(u -> select(tx, owner.keyId(), Optional.of(u)).stream().findFirst());
        });
    }

    /** Deletes the endpoint and its deliveries; false when the owner has no such endpoint. */
    public boolean delete(Owner owner, UUID id) {
        return database.inTransaction(tx -> {
            lockKey(tx, owner);
            return scoped(tx.createDelete(DELETE), owner, id).execute() > 0;
        });
    }

    /** A new secret; the previous one keeps signing, as a second signature, for 24 hours. */
    public Optional<CreatedEndpoint> rotateSecret(Owner owner, UUID id) {
        String secret = Signatures.newSecret();
        return database.inTransaction(tx -> {
            lockKey(tx, owner);
            return scoped(tx.createGet(ROTATE), owner, id)
                    .addParam("secret", secret)
                    .execute()
                    .flatMap(row -> select(tx, owner.keyId(), Optional.of(Rows.uuid(row, "id"))).stream().findFirst())
                    .map(endpoint -> new CreatedEndpoint(endpoint, secret));
        });
    }

    /**
     * Queues a {@code webhook.test} event to one of the key's endpoints, whatever it subscribes
     * to; its event id, or empty when the key has no such endpoint.
     */
    public Optional<UUID> sendTest(Owner.Key key, UUID id, Event test) {
        Optional<UUID> eventId = database.inTransaction(tx -> {
            lockKey(tx, key);
            return outbox.enqueueTest(tx, key.id(), id, test);
        });
        eventId.ifPresent(queued -> outbox.wake());
        return eventId;
    }

    private Optional<UUID> setEnabled(DbTransaction tx, Owner owner, UUID id, boolean enabled, String reason) {
        var statement = enabled
                ? scoped(tx.createGet(ENABLE), owner, id)
                : scoped(tx.createGet(DISABLE), owner, id).addParam("reason", reason);
        return statement.execute().map(row -> Rows.uuid(row, "id"));
    }

    private static <S extends io.helidon.dbclient.DbStatement<S>> S scoped(S statement, Owner owner, UUID id) {
        return statement.addParam("id", id).addParam("key", owner.keyId().map(UUID::toString).orElse(null));
    }

    /** A key proves it is still what it authenticated as; an operator needs no proof. */
    private static void lockKey(DbTransaction tx, Owner owner) {
        if (owner instanceof Owner.Key key) {
            lockKey(tx, owner, key.id());
        }
    }

    /** Locks the key row (see the class comment); a key that is not active (with the caller's secret) ends here. */
    private static void lockKey(DbTransaction tx, Owner owner, UUID keyId) {
        if (owner instanceof Owner.Key key && !key.id().equals(keyId)) {
            throw new IllegalArgumentException("a key acts on its own endpoints only");
        }
        boolean valid = tx.createGet(LOCK_KEY)
                .addParam("key", keyId)
                .addParam("hash", owner instanceof Owner.Key key ? key.hash() : null)
                .execute()
                .isPresent();
        if (!valid) {
            if (owner instanceof Owner.Key) {
                throw new KeyNoLongerValidException();
            }
            throw new MgwException("key " + keyId + " is revoked");
        }
    }

    private static List<Endpoint> select(DbTransaction tx, Optional<UUID> keyId, Optional<UUID> id) {
        return tx.createQuery(SELECT)
                .addParam("key", keyId.map(UUID::toString).orElse(null))
                .addParam("id", id.map(UUID::toString).orElse(null))
                .execute()
                .map(WebhookEndpoints::endpoint)
                .toList();
    }

    private static Endpoint endpoint(DbRow row) {
        Optional<Endpoint.LastDelivery> last = Rows.optionalInstant(row, "last_attempt_at")
                .map(at -> new Endpoint.LastDelivery(at, Rows.optionalInteger(row, "last_response_code")));
        return new Endpoint(Rows.uuid(row, "id"),
                            Rows.uuid(row, "api_key_id"),
                            Rows.string(row, "url"),
                            Rows.optionalString(row, "description"),
                            Rows.strings(row, "events"),
                            Rows.bool(row, "enabled"),
                            Rows.optionalString(row, "disabled_reason"),
                            Rows.optionalInstant(row, "failing_since"),
                            Rows.optionalInstant(row, "rotated_until"),
                            Rows.instant(row, "created_at"),
                            Rows.instant(row, "updated_at"),
                            last);
    }
}
