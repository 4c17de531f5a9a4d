package dev.mgw.core.upkeep;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import dev.mgw.core.db.Database;
import dev.mgw.core.db.DatabaseUnavailableException;
import dev.mgw.core.db.Rows;

/**
 * Keeps the gateway's queue tables cheap to claim from. Every delivery claim walks the
 * partial index of due rows from its oldest end, and every message claimed and recorded leaves
 * two dead entries there; until a vacuum removes them, each claim reads past them (measured on
 * the bench machine: about 7,000 index entries and 3-5 ms of database time per claim after a
 * minute of load, against 2 entries once vacuumed every few seconds). PostgreSQL's autovacuum
 * does this when it runs and keeps up: its default threshold (20 % of the table) lets a busy
 * queue grow a long dead head first, and some servers run with it off. So the gateway looks at
 * the dead rows of {@link #TABLES} itself and vacuums a table once they pass
 * {@code base + fraction × live rows} (the shape of autovacuum's own rule, with a far smaller
 * fraction); where autovacuum keeps up, the threshold is never reached and nothing runs.
 *
 * <p>One process at a time: the vacuum holds the session advisory lock {@link #LOCK} on a
 * connection of its own (VACUUM cannot run in a transaction, and may take longer than the
 * pool's statement time-out), closed after it, which releases the lock. A gateway that finds
 * the lock taken leaves the table to the one that holds it. A role that does not own the table
 * gets PostgreSQL's warning and nothing is vacuumed; nothing fails. The vacuum is paced like
 * autovacuum's ({@link #COST_DELAY}), so that it does not hold up the commits of accepts and
 * deliveries meanwhile.
 */
public final class QueueVacuum {
    /** The tables that work is claimed from through an index of due rows. */
    public static final List<String> TABLES = List.of("messages", "webhook_deliveries");
    /** The advisory lock of queue vacuums: "mgw-vacu" as a number; no other lock of the gateway uses it. */
    static final long LOCK = 0x6d67772d76616375L;
    /** The gateway's thresholds: dead rows, plus this share of the live ones. */
    public static final long BASE = 5_000;
    public static final double FRACTION = 0.01;
    /**
     * The vacuum paces itself as autovacuum does ({@code autovacuum_vacuum_cost_delay}'s default):
     * a manual {@code VACUUM} runs unthrottled, and on a busy 2-core machine its burst of pages
     * dirtied and WAL written held every commit up for 100-300 ms each time it ran, every few
     * seconds (the README's Queue vacuum section has the figures).
     */
    static final String COST_DELAY = "2ms";
    /** A vacuum of a large table may take minutes; a database that went silent meanwhile still ends it. */
    private static final int NETWORK_TIMEOUT_MILLIS = 10 * 60 * 1000;
    private static final String DEAD_ROWS = """
            SELECT relname, n_dead_tup, n_live_tup
              FROM pg_stat_user_tables
             WHERE schemaname = current_schema() AND relname = ANY (CAST(:tables AS text[]))
            """;

    private final Database database;
    private final long base;
    private final double fraction;

    public QueueVacuum(Database database) {
        this(database, BASE, FRACTION);
    }

    /** With other thresholds (tests). */
    public QueueVacuum(Database database, long base, double fraction) {
        this.database = database;
        this.base = base;
        this.fraction = fraction;
    }

    /** The queue tables whose dead rows are past the threshold now, per the statistics PostgreSQL keeps. */
    public List<String> due() {
        return database.run(() -> database.client().execute()
                .createQuery(DEAD_ROWS)
                .addParam("tables", TABLES.toArray(String[]::new))
                .execute()
                .filter(row -> Rows.longValue(row, "n_dead_tup") > base + fraction * Rows.longValue(row, "n_live_tup"))
                .map(row -> Rows.string(row, "relname"))
                .toList());
    }

    /**
     * Vacuums {@code table} (one of {@link #TABLES}) unless another process holds the lock; true
     * when this one vacuumed it.
     */
    public boolean vacuum(String table) {
        if (!TABLES.contains(table)) {
            throw new IllegalArgumentException("not a queue table: " + table);
        }
        try (Connection connection = database.connect(); Statement statement = connection.createStatement()) {
            connection.setNetworkTimeout(Runnable::run, NETWORK_TIMEOUT_MILLIS);
            try (ResultSet locked = statement.executeQuery("SELECT pg_try_advisory_lock(" + LOCK + ")")) {
                if (!locked.next() || !locked.getBoolean(1)) {
                    return false;
                }
            }
            statement.execute("SET vacuum_cost_delay = '" + COST_DELAY + "'");
            statement.execute("VACUUM " + table);
            return true;
        } catch (SQLException e) {
            throw new DatabaseUnavailableException("cannot vacuum " + table + ": " + Database.rootMessage(e), e);
        }
    }
}
