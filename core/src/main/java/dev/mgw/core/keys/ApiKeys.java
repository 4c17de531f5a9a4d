package dev.mgw.core.keys;

import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import dev.mgw.core.MgwException;
import dev.mgw.core.db.Database;
import dev.mgw.core.db.Rows;

import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbRow;

/**
 * The {@code api_keys} table: creating, finding, revoking, re-limiting and rotating keys.
 */
public final class ApiKeys {
    private static final String COLUMNS =
            "k.id, k.name, k.key_prefix, k.daily_limit, k.is_active, k.allowed_recipients, k.created_at, "
            + "k.revoked_at, k.last_used_at";
    private static final String INSERT_KEY = """
            INSERT INTO api_keys AS k (name, key_prefix, key_hash, daily_limit, allowed_recipients)
            VALUES (?, ?, ?, ?, ?)
            RETURNING\s""" + COLUMNS;
    private static final String LIST_KEYS = "SELECT " + COLUMNS + """
            , COALESCE(u.count, 0) AS used_today
            FROM api_keys k
            LEFT JOIN daily_usage u ON u.api_key_id = k.id AND u.date = :today
            WHERE k.is_active OR :all
            ORDER BY k.is_active DESC, k.name, k.created_at
            """;
    /** An id, a name, a prefix, the start of a prefix (4+ characters) or a whole secret. */
    private static final String MATCH_KEYS = "SELECT " + COLUMNS + """
             FROM api_keys k
            WHERE CAST(k.id AS text) = :ref
               OR k.name = :ref
               OR k.key_prefix = :ref
               OR (length(CAST(:ref AS text)) BETWEEN 4 AND 11 AND starts_with(k.key_prefix, :ref))
               OR (length(CAST(:ref AS text)) > 12 AND k.key_prefix = left(CAST(:ref AS text), 12))
            ORDER BY k.is_active DESC, k.created_at
            """;
    private static final String FIND_ACTIVE_BY_PREFIX = "SELECT " + COLUMNS + ", k.key_hash FROM api_keys k "
                                                        + "WHERE k.key_prefix = ? AND k.is_active";
    private static final String FIND_ACTIVE_BY_NAME = "SELECT " + COLUMNS + ", k.key_hash FROM api_keys k "
                                                      + "WHERE k.name = ? AND k.is_active";
    private static final String FIND_BY_ID = "SELECT " + COLUMNS + " FROM api_keys k WHERE k.id = ?";
    private static final String REVOKE_KEY = "UPDATE api_keys k SET is_active = false, revoked_at = now() "
                                             + "WHERE k.id = ? AND k.is_active RETURNING " + COLUMNS;
    private static final String SET_LIMIT = "UPDATE api_keys k SET daily_limit = ? WHERE k.id = ? AND k.is_active "
                                            + "RETURNING " + COLUMNS;
    private static final String ROTATE_KEY = "UPDATE api_keys k SET key_prefix = ?, key_hash = ? "
                                             + "WHERE k.id = ? AND k.is_active RETURNING " + COLUMNS;
    private static final String TOUCH_KEY = "UPDATE api_keys SET last_used_at = now() WHERE id = ?";
    private static final int MAX_NAME = 100;
    private static final int MAX_LIMIT = 1_000_000_000;

    private final Database database;
    private final DbClient db;
    private final KeySecrets secrets;
    private final Clock clock;

    public ApiKeys(Database database, KeySecrets secrets, Clock clock) {
        this.database = database;
        this.db = database.client();
        this.secrets = secrets;
        this.clock = clock;
    }

    /** Creates a key, generating its secret unless one is imported. */
    public CreatedKey create(NewKey request) {
        String name = checkName(request.name());
        checkLimit(request.dailyLimit());
        Optional<List<String>> rules = request.allowedRecipients().map(ApiKey::normalizeRecipientRules);
        request.secret().ifPresent(KeySecrets::checkImportable);
        String secret = request.secret().orElseGet(secrets::generate);
        String hash = secrets.hash(secret);
        try {
            DbRow row = database.run(() -> db.execute()
                    .createGet(INSERT_KEY)
                    .addParam(name)
                    .addParam(KeySecrets.prefix(secret))
                    .addParam(hash)
                    .addParam(request.dailyLimit())
                    .addParam(rules.map(r -> (Object) r.toArray(String[]::new)).orElse(null))
                    .execute()
                    .orElseThrow());
            return new CreatedKey(key(row), secret);
        } catch (RuntimeException e) {
            throw conflict(e, name, KeySecrets.prefix(secret));
        }
    }

    /**
     * The active key that this import repeats: one with the same name whose secret is exactly the
     * imported one (SPEC §7: {@code mgw keys create --key} can be run again). Empty when the request
     * imports no secret, or the name is free or taken by a key with another secret.
     */
    public Optional<ApiKey> sameImport(NewKey request) {
        if (request.secret().isEmpty()) {
            return Optional.empty();
        }
        String name = checkName(request.name());
        return database.run(() -> db.execute().createGet(FIND_ACTIVE_BY_NAME).addParam(name).execute())
                .filter(row -> secrets.verify(request.secret().get(), Rows.string(row, "key_hash")))
                .map(ApiKeys::key);
    }

    /** Active keys (or all), with what each used today. */
    public List<KeyListing> list(boolean includeRevoked) {
        return database.run(() -> db.execute()
                .createQuery(LIST_KEYS)
                .addParam("today", today())
                .addParam("all", includeRevoked)
                .execute()
                .map(row -> new KeyListing(key(row), Rows.integer(row, "used_today")))
                .toList());
    }

    /**
     * Finds the key an operator means by an id, a name or a key prefix. Among several matches one
     * active key wins over revoked ones; otherwise several matches are an error that lists them.
     */
    public ApiKey resolve(String reference) {
        String ref = reference.strip();
        if (ref.isEmpty()) {
            throw new KeyNotFoundException(reference);
        }
        List<ApiKey> matches = database.run(() -> db.execute()
                .createQuery(MATCH_KEYS)
                .addParam("ref", ref)
                .execute()
                .map(ApiKeys::key)
                .toList());
        if (matches.size() == 1) {
            return matches.getFirst();
        }
        if (matches.isEmpty()) {
            throw new KeyNotFoundException(reference);
        }
        List<ApiKey> active = matches.stream().filter(ApiKey::active).toList();
        if (active.size() == 1) {
            return active.getFirst();
        }
        throw new AmbiguousKeyException(reference, matches);
    }

    public Optional<ApiKey> find(UUID id) {
        return database.run(() -> db.execute().createGet(FIND_BY_ID).addParam(id).execute().map(ApiKeys::key));
    }

    /** The active key with this prefix and its hash: what authentication checks a secret against. */
    public Optional<StoredKey> findActiveByPrefix(String prefix) {
        return database.run(() -> db.execute()
                .createGet(FIND_ACTIVE_BY_PREFIX)
                .addParam(prefix)
                .execute()
                .map(row -> new StoredKey(key(row), Rows.string(row, "key_hash"))));
    }

    public ApiKey revoke(ApiKey key) {
        return database.run(() -> db.execute().createGet(REVOKE_KEY).addParam(key.id()).execute())
                .map(ApiKeys::key)
                .orElseThrow(() -> new MgwException("key " + key.name() + " (" + key.prefix() + ") is already revoked"));
    }

    public ApiKey setLimit(ApiKey key, int dailyLimit) {
        checkLimit(dailyLimit);
        return database.run(() -> db.execute().createGet(SET_LIMIT).addParam(dailyLimit).addParam(key.id()).execute())
                .map(ApiKeys::key)
                .orElseThrow(() -> revoked(key));
    }

    /** A new secret for the same key (id, name, limit and usage stay); the old secret stops working at once. */
    public CreatedKey rotate(ApiKey key) {
        String secret = secrets.generate();
        String prefix = KeySecrets.prefix(secret);
        String hash = secrets.hash(secret);
        try {
            return database.run(() -> db.execute()
                            .createGet(ROTATE_KEY)
                            .addParam(prefix)
                            .addParam(hash)
                            .addParam(key.id())
                            .execute())
                    .map(row -> new CreatedKey(key(row), secret))
                    .orElseThrow(() -> revoked(key));
        } catch (RuntimeException e) {
            throw conflict(e, key.name(), prefix);
        }
    }

    /** Records that the key was used now. */
    public void touch(UUID id) {
        database.run(() -> db.execute().createUpdate(TOUCH_KEY).addParam(id).execute());
    }

    private LocalDate today() {
        return LocalDate.now(clock.withZone(ZoneOffset.UTC));
    }

    static ApiKey key(DbRow row) {
        return new ApiKey(Rows.uuid(row, "id"),
                          Rows.string(row, "name"),
                          Rows.string(row, "key_prefix"),
                          Rows.integer(row, "daily_limit"),
                          Rows.bool(row, "is_active"),
                          Optional.ofNullable(Rows.strings(row, "allowed_recipients")),
                          Rows.instant(row, "created_at"),
                          Rows.optionalInstant(row, "revoked_at"),
                          Rows.optionalInstant(row, "last_used_at"));
    }

    private static String checkName(String name) {
        String trimmed = name == null ? "" : name.strip();
        if (trimmed.isEmpty() || trimmed.length() > MAX_NAME) {
            throw new MgwException("--name must be 1 to " + MAX_NAME + " characters");
        }
        if (trimmed.chars().anyMatch(Character::isISOControl)) {
            throw new MgwException("--name must not contain control characters");
        }
        return trimmed;
    }

    private static void checkLimit(int limit) {
        if (limit < 0 || limit > MAX_LIMIT) {
            throw new MgwException("--limit must be between 0 and " + MAX_LIMIT);
        }
    }

    private static MgwException revoked(ApiKey key) {
        return new MgwException("key " + key.name() + " (" + key.prefix() + ") is revoked");
    }

    private static RuntimeException conflict(RuntimeException e, String name, String prefix) {
        return Database.violatedConstraint(e)
                .<RuntimeException>map(constraint -> switch (constraint) {
                    case "api_keys_active_name" -> new MgwException("an active key named '" + name + "' already exists");
                    case "api_keys_active_prefix" -> new MgwException("an active key with the prefix " + prefix
                                                                      + " already exists; import a different secret");
                    default -> e;
                })
                .orElse(e);
    }
}
