package dev.mgw.core.suppressions;

import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.mgw.core.db.Database;
import dev.mgw.core.db.Rows;
import dev.mgw.core.keys.KeyNoLongerValidException;
import dev.mgw.core.messages.RelayReply;

import io.helidon.dbclient.DbExecute;
import io.helidon.dbclient.DbRow;

/**
 * The suppression lists (SPEC §10, §5.5): addresses a key (or every key) does not send to. The
 * accept path looks all of a message's recipients up in one indexed query inside its
 * transaction; delivery adds hard bounces in the transaction that records them.
 */
public final class Suppressions {
    /** Reasons an entry has. */
    public static final List<String> REASONS = List.of("hard_bounce", "complaint", "manual");
    /**
     * A condition that none of the addresses in its one parameter (a {@code text[]} of lower-cased
     * addresses) is suppressed for the key in {@code keyColumn}: for statements that accept a
     * message in one go. Served by the unique index on (address, key).
     */
    public static String noneSuppressed(String keyColumn) {
        return "NOT EXISTS (SELECT 1 FROM suppressions s WHERE s.address = ANY(CAST(? AS text[])) AND (s.api_key_id = "
               + keyColumn + " OR s.api_key_id IS NULL) AND (s.expires_at IS NULL OR s.expires_at > now()))";
    }

    private static final String SUPPRESSED = """
            SELECT DISTINCT address
              FROM suppressions
             WHERE address = ANY(CAST(:addresses AS text[]))
               AND (api_key_id = CAST(:key AS uuid) OR api_key_id IS NULL)
               AND (expires_at IS NULL OR expires_at > now())
            """;
    private static final String COLUMNS = "id, api_key_id, address, reason, detail, message_id, created_at, expires_at";
    private static final String UPSERT = """
            INSERT INTO suppressions AS s (api_key_id, address, reason, detail, message_id, expires_at)
            SELECT CAST(:key AS uuid), a, :reason, :detail, CAST(:message AS uuid), CAST(:expires AS timestamptz)
              FROM unnest(CAST(:addresses AS text[])) AS a
            ON CONFLICT (address, api_key_id) DO UPDATE
               SET reason = EXCLUDED.reason, detail = EXCLUDED.detail, message_id = EXCLUDED.message_id,
                   expires_at = EXCLUDED.expires_at, updated_at = now()
            RETURNING """ + " " + COLUMNS;
    private static final String KEY_VALID = """
            SELECT 1 AS valid FROM api_keys WHERE id = CAST(:key AS uuid) AND is_active AND key_hash = :hash
            """;
    private static final String REMOVE = """
            DELETE FROM suppressions
             WHERE address = ANY(CAST(:addresses AS text[])) AND api_key_id IS NOT DISTINCT FROM CAST(:key AS uuid)
            RETURNING address
            """;
    /** Newest first, after the cursor (an entry id). */
    private static final String LIST = "SELECT " + COLUMNS + """
              FROM suppressions
             WHERE (CAST(:key AS uuid) IS NULL OR api_key_id = CAST(:key AS uuid))
               AND (NOT CAST(:global AS boolean) OR api_key_id IS NULL)
               AND (CAST(:address AS text) IS NULL OR address = CAST(:address AS text))
               AND (CAST(:reason AS text) IS NULL OR reason = CAST(:reason AS text))
               AND (CAST(:before AS bigint) IS NULL OR id < CAST(:before AS bigint))
             ORDER BY id DESC
             LIMIT :limit
            """;
    /** An enhanced status code (RFC 3463) after the reply code: {@code 550 5.1.1 …}. */
    private static final Pattern ENHANCED = Pattern.compile("^\\d{3}[ -]([245])\\.(\\d{1,3})\\.\\d{1,3}\\b");

    private final Database database;

    public Suppressions(Database database) {
        this.database = database;
    }

    /**
     * Whether a permanent refusal means the address itself is bad (SPEC §10): enhanced status
     * {@code 5.1.x}, or a plain 550, 551 or 553 without one. Policy, content, size or a full
     * mailbox ({@code 5.7.x}, {@code 5.2.x}, …) and every 4xx are not.
     */
    public static boolean isHardBounce(RelayReply reply) {
        if (!reply.permanent()) {
            return false;
        }
        Matcher enhanced = ENHANCED.matcher(reply.text().strip());
        if (enhanced.find()) {
            return enhanced.group(1).equals("5") && enhanced.group(2).equals("1");
        }
        return reply.code() == 550 || reply.code() == 551 || reply.code() == 553;
    }

    /** The addresses as stored: lower-cased. */
    public static String normalize(String address) {
        return address.strip().toLowerCase(Locale.ROOT);
    }

    /**
     * Which of these (lower-cased) addresses are suppressed for the key, by its own list or the
     * global one, now: one indexed query, in the caller's transaction.
     */
    public Set<String> suppressed(DbExecute tx, UUID keyId, Collection<String> addresses) {
        if (addresses.isEmpty()) {
            return Set.of();
        }
        Set<String> found = new LinkedHashSet<>();
        tx.createNamedQuery("find-suppressed-recipients", SUPPRESSED)
                .addParam("addresses", addresses.toArray(String[]::new))
                .addParam("key", keyId.toString())
                .execute()
                .forEach(row -> found.add(Rows.string(row, "address")));
        return found;
    }

    /**
     * Whether one address is suppressed for the key (its own list or the global one) now: the
     * accept check for a single recipient, such as an SMTP {@code RCPT TO}.
     */
    public boolean isSuppressed(UUID keyId, String address) {
        return database.run(() -> !suppressed(database.client().execute(), keyId, List.of(normalize(address))).isEmpty());
    }

    /** Adds (or renews) a hard bounce of the key's, in the caller's transaction. */
    public void addHardBounce(DbExecute tx, UUID keyId, String address, String reply, UUID messageId) {
        upsert(tx, Scope.key(keyId), List.of(normalize(address)), "hard_bounce", Optional.of(reply),
               Optional.of(messageId), Optional.empty());
    }

    /**
     * Adds entries to one list (a key's, or the global one), or updates them where the address is
     * there already. Returns them.
     */
    public List<Suppression> add(Scope scope, Collection<String> addresses, String reason, Optional<String> detail,
                                 Optional<Instant> expiresAt, Optional<String> keyHash) {
        List<String> normalized = addresses.stream().map(Suppressions::normalize).distinct().toList();
        return database.inTransaction(tx -> {
            prove(tx, scope, keyHash);
            return upsert(tx, scope, normalized, reason, detail, Optional.empty(), expiresAt);
        });
    }

    /**
     * A key acting through the API proves in the same transaction that it still holds the secret
     * it authenticated with (SPEC §5.1); an operator ({@code keyHash} empty) needs no proof.
     */
    private static void prove(DbExecute tx, Scope scope, Optional<String> keyHash) {
        if (keyHash.isEmpty()) {
            return;
        }
        boolean valid = tx.createGet(KEY_VALID)
                .addParam("key", scope.keyId().orElseThrow().toString())
                .addParam("hash", keyHash.get())
                .execute()
                .isPresent();
        if (!valid) {
            throw new KeyNoLongerValidException();
        }
    }

    /** Removes addresses from one list. Returns those that were on it. */
    public List<String> remove(Scope scope, Collection<String> addresses, Optional<String> keyHash) {
        String[] normalized = addresses.stream().map(Suppressions::normalize).distinct().toArray(String[]::new);
        return database.inTransaction(tx -> {
            prove(tx, scope, keyHash);
            return tx.createQuery(REMOVE)
                    .addParam("addresses", normalized)
                    .addParam("key", scope.keyId().map(UUID::toString).orElse(null))
                    .execute()
                    .map(row -> Rows.string(row, "address"))
                    .toList();
        });
    }

    /**
     * One page of entries, newest first, after the cursor (an entry id): one key's, the global
     * ones, or all.
     */
    public List<Suppression> list(Scope scope, Optional<String> address, Optional<String> reason, Optional<Long> before,
                                  int limit, Optional<String> keyHash) {
        return database.inTransaction(tx -> {
            prove(tx, scope, keyHash);
            return tx.createQuery(LIST)
                    .addParam("key", scope.keyId().map(UUID::toString).orElse(null))
                    .addParam("global", scope.onlyGlobal())
                    .addParam("address", address.map(Suppressions::normalize).orElse(null))
                    .addParam("reason", reason.orElse(null))
                    .addParam("before", before.orElse(null))
                    .addParam("limit", limit)
                    .execute()
                    .map(Suppressions::suppression)
                    .toList();
        });
    }

    private List<Suppression> upsert(DbExecute tx, Scope scope, List<String> addresses, String reason,
                                     Optional<String> detail, Optional<UUID> messageId, Optional<Instant> expiresAt) {
        if (scope.keyId().isEmpty() && !scope.onlyGlobal()) {
            throw new IllegalArgumentException("an entry belongs to one key or to the global list");
        }
        if (!REASONS.contains(reason)) {
            throw new IllegalArgumentException("reason must be one of " + String.join(", ", REASONS));
        }
        return tx.createNamedQuery("upsert-suppressions", UPSERT)
                .addParam("key", scope.keyId().map(UUID::toString).orElse(null))
                .addParam("reason", reason)
                .addParam("detail", detail.orElse(null))
                .addParam("message", messageId.map(UUID::toString).orElse(null))
                .addParam("expires", expiresAt.map(Rows::param).orElse(null))
                .addParam("addresses", addresses.toArray(String[]::new))
                .execute()
                .map(Suppressions::suppression)
                .toList();
    }

    private static Suppression suppression(DbRow row) {
        return new Suppression(Rows.longValue(row, "id"),
                               Optional.ofNullable(Rows.uuid(row, "api_key_id")),
                               Rows.string(row, "address"),
                               Rows.string(row, "reason"),
                               Rows.optionalString(row, "detail"),
                               Optional.ofNullable(Rows.uuid(row, "message_id")),
                               Rows.instant(row, "created_at"),
                               Rows.optionalInstant(row, "expires_at"));
    }
}
