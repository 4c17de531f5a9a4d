package dev.mgw.core.quota;

import java.time.LocalDate;
import java.util.Optional;
import java.util.UUID;

import dev.mgw.core.db.Database;
import dev.mgw.core.db.Rows;

import io.helidon.dbclient.DbExecute;
import io.helidon.dbclient.DbRow;
import io.helidon.dbclient.DbStatementGet;

/**
 * The daily quota: one conditional upsert charges a key {@code n} recipients for a UTC day, only
 * while the key is active, still has the secret the caller proved, and {@code count + n} stays
 * within its limit. No row back means nothing was charged. There is no read-then-write: the row
 * lock of the upsert orders concurrent charges, so the count never passes the limit.
 */
public final class Quota {
    /**
     * The charge. Parameters: day, recipients, key id, key hash, recipients (positional: this
     * runs on every send).
     */
    public static final String UPSERT = upsertWhen("true");
    /**
     * The charge, made only where {@code condition} (SQL over the key row {@code k}) also holds;
     * its parameters come after the upsert's.
     */
    public static String upsertWhen(String condition) {
        return """
                INSERT INTO daily_usage AS u (api_key_id, date, count)
                SELECT k.id, ?, ?
                  FROM api_keys k
                 WHERE k.id = ? AND k.is_active AND k.key_hash = ? AND ? <= k.daily_limit AND """ + " " + condition + """

                ON CONFLICT (api_key_id, date) DO UPDATE SET count = u.count + EXCLUDED.count
                 WHERE u.count + EXCLUDED.count <= (SELECT daily_limit FROM api_keys WHERE id = u.api_key_id)
                RETURNING u.count AS used, (SELECT daily_limit FROM api_keys WHERE id = u.api_key_id) AS daily_limit
                """;
    }

    /**
     * The charge, also recording on the message what remained: what an idempotent replay
     * answers. Parameters: those of the upsert, then the message id.
     */
    private static final String CHARGE_AND_RECORD = "WITH charged AS (" + UPSERT + """
            )
            UPDATE messages SET accept_remaining = charged.daily_limit - charged.used
              FROM charged
             WHERE messages.id = ?
            RETURNING charged.used, charged.daily_limit
            """;
    private static final String STANDING = """
            SELECT (k.is_active AND k.key_hash = :hash) AS valid, k.name, k.daily_limit, COALESCE(u.count, 0) AS used
              FROM api_keys k
              LEFT JOIN daily_usage u ON u.api_key_id = k.id AND u.date = :day
             WHERE k.id = :key
            """;

    /** Gives recipients back to a key's count for a day (a canceled message), never below zero. */
    private static final String CREDIT = """
            UPDATE daily_usage SET count = greatest(count - :recipients, 0)
             WHERE api_key_id = :key AND date = :day
            """;

    private final Database database;

    public Quota(Database database) {
        this.database = database;
    }

    /**
     * Charges {@code recipients} to the key for {@code day} inside the caller's transaction, and
     * records on the message what remained (for idempotent replays).
     *
     * @return the standing after the charge, or empty when nothing was charged (over the limit,
     *         or the key revoked or rotated since the caller verified it)
     */
    public Optional<Charge> chargeAndRecord(DbExecute tx, UUID keyId, String keyHash, LocalDate day, int recipients,
                                            UUID messageId) {
        return chargeParameters(tx.createNamedGet("charge-quota-and-record", CHARGE_AND_RECORD), keyId, keyHash, day,
                                recipients)
                .addParam(messageId)
                .execute()
                .flatMap(Quota::charged);
    }

    /** Gives {@code recipients} back to the key's count for {@code day}, inside the caller's transaction. */
    public static void credit(DbExecute tx, UUID keyId, LocalDate day, int recipients) {
        tx.createNamedUpdate("credit-quota", CREDIT)
                .addParam("recipients", recipients)
                .addParam("key", keyId)
                .addParam("day", day)
                .execute();
    }

    /** Adds the parameters of the upsert, in its order. */
    public static DbStatementGet chargeParameters(DbStatementGet statement, UUID keyId, String keyHash, LocalDate day,
                                                  int recipients) {
        return statement.addParam(day)
                .addParam(recipients)
                .addParam(keyId)
                .addParam(keyHash)
                .addParam(recipients);
    }

    /** The charge a row returned by the upsert shows, if the upsert charged anything. */
    public static Optional<Charge> charged(DbRow row) {
        Optional<Integer> used = Rows.optionalInteger(row, "used");
        return used.map(u -> new Charge(Rows.integer(row, "daily_limit"), u));
    }

    /** A key's standing for a day, if it is still active with this secret. */
    public Optional<Standing> standing(UUID keyId, String keyHash, LocalDate day) {
        return database.run(() -> database.client().execute()
                .createGet(STANDING)
                .addParam("hash", keyHash)
                .addParam("day", day)
                .addParam("key", keyId)
                .execute()
                .filter(row -> Rows.bool(row, "valid"))
                .map(Quota::standing));
    }

    private static Standing standing(DbRow row) {
        return new Standing(Rows.string(row, "name"),
                            new Charge(Rows.integer(row, "daily_limit"), Rows.integer(row, "used")));
    }

    /** A valid key's name and its charge so far today. */
    public record Standing(String name, Charge charge) {
    }
}
