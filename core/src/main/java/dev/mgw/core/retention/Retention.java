package dev.mgw.core.retention;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.mgw.core.config.GatewayConfig;
import dev.mgw.core.db.Database;
import dev.mgw.core.db.Rows;

import io.helidon.dbclient.DbTransaction;

/**
 * Retention (SPEC §14): what a finished message (any status but {@code queued} and
 * {@code sending}) leaves behind goes in two stages, counted from when it finished
 * ({@code updated_at}): after {@code RETENTION_BODY_DAYS} its bodies and attachment bytes (the
 * message row, its attachment list and sizes stay), after {@code RETENTION_DAYS} the message
 * with everything that refers to it; webhook deliveries that are done, and batch idempotency
 * records, after {@code RETENTION_DAYS} too. Never a queued or sending message, never
 * {@code daily_usage}.
 *
 * <p>Work goes in small transactions of at most {@code batch} rows, each holding the
 * transaction-level advisory lock {@link #LOCK}: while one process purges, another that tries
 * finds the lock taken and stops its run ({@link #purgeBatch} answers empty), so two gateways
 * never purge at once. A transaction-level lock, rather than a session lock held through the
 * whole run, because it lives exactly as long as the work it guards: commit, rollback or a dead
 * connection releases it, so it can neither outlive a crashed process nor stay behind on a
 * pooled connection, and it needs no connection of its own. Rows are taken with
 * {@code SKIP LOCKED}, so a purge never waits behind (or blocks) a worker that holds one.
 *
 * <p>A new table that keeps body material, or that refers to messages, is one more statement
 * in {@link #STRIP_BODIES} or {@link #DELETE_MESSAGES}; a table whose rows age on their own is
 * one more {@link Step}.
 */
public final class Retention {
    /** Rows in one purge transaction: short enough to stay far within the server's statement time-out. */
    public static final int BATCH = 500;
    /** The advisory lock of retention: "mgw-retn" as a number; no other lock of the gateway uses it. */
    static final long LOCK = 0x6d67772d7265746eL;
    private static final String TRY_LOCK = "SELECT pg_try_advisory_xact_lock(:lock) AS locked";
    private static final String FINISHED = "status NOT IN ('queued', 'sending')";

    /** Messages finished before the cutoff, oldest first (index messages_finished). */
    private static final String CLAIM_EXPIRED = "SELECT id FROM messages WHERE " + FINISHED + """
               AND updated_at < :cutoff
             ORDER BY updated_at
             LIMIT :batch
               FOR UPDATE SKIP LOCKED
            """;
    private static final String COUNT_EXPIRED = "SELECT count(*) AS n FROM messages WHERE " + FINISHED
                                                + " AND updated_at < :cutoff";
    /** Everything of the claimed messages ({@code :ids}), one statement per table, the messages last. */
    private static final List<String> DELETE_MESSAGES = List.of(
            "DELETE FROM message_attachments WHERE message_id = ANY(CAST(:ids AS uuid[]))",
            "DELETE FROM message_events WHERE message_id = ANY(CAST(:ids AS uuid[]))",
            "DELETE FROM message_mime WHERE message_id = ANY(CAST(:ids AS uuid[]))",
            "DELETE FROM messages WHERE id = ANY(CAST(:ids AS uuid[]))");

    /**
     * Finished messages that still have their bodies, finished before the cutoff (index
     * messages_bodies_kept), but not those that go whole ({@code :rows_cutoff}).
     */
    private static final String CLAIM_BODIES = "SELECT id FROM messages WHERE " + FINISHED + """
               AND bodies_removed_at IS NULL AND updated_at < :cutoff AND updated_at >= :rows_cutoff
             ORDER BY updated_at
             LIMIT :batch
               FOR UPDATE SKIP LOCKED
            """;
    private static final String COUNT_BODIES = "SELECT count(*) AS n FROM messages WHERE " + FINISHED
                                               + " AND bodies_removed_at IS NULL AND updated_at < :cutoff"
                                               + " AND updated_at >= :rows_cutoff";
    /**
     * The bodies of the claimed messages ({@code :ids}), one statement per table that keeps body
     * material, the message's own marker last. {@code updated_at} stays: it is when the message finished.
     */
    private static final List<String> STRIP_BODIES = List.of(
            "UPDATE message_attachments SET content = NULL WHERE message_id = ANY(CAST(:ids AS uuid[])) AND content IS NOT NULL",
            "UPDATE message_mime SET content = NULL WHERE message_id = ANY(CAST(:ids AS uuid[])) AND content IS NOT NULL",
            """
            UPDATE messages SET text_body = NULL, html_body = NULL, bodies_removed_at = now()
             WHERE id = ANY(CAST(:ids AS uuid[]))
            """);

    /** Webhook deliveries that are done (delivered or failed), by when they finished (index webhook_deliveries_finished). */
    private static final String DELETE_DELIVERIES = """
            DELETE FROM webhook_deliveries WHERE id = ANY(ARRAY(
                SELECT id FROM webhook_deliveries
                 WHERE status <> 'pending' AND updated_at < :cutoff
                 ORDER BY updated_at
                 LIMIT :batch
                   FOR UPDATE SKIP LOCKED))
            """;
    private static final String COUNT_DELIVERIES = """
            SELECT count(*) AS n FROM webhook_deliveries WHERE status <> 'pending' AND updated_at < :cutoff
            """;
    /** What a batch request's idempotent replay answers (useful for 24 h), kept as long as its messages. */
    private static final String DELETE_BATCH_REQUESTS = """
            DELETE FROM batch_requests WHERE ctid = ANY(ARRAY(
                SELECT ctid FROM batch_requests
                 WHERE created_at < :cutoff
                 ORDER BY created_at
                 LIMIT :batch
                   FOR UPDATE SKIP LOCKED))
            """;
    private static final String COUNT_BATCH_REQUESTS = "SELECT count(*) AS n FROM batch_requests WHERE created_at < :cutoff";

    /**
     * One kind of thing retention removes: its name in reports, how many would go now, and one
     * batch of it inside a purge transaction.
     */
    private record Step(String name, String count, Stage stage, Remover remover) {
    }

    /** Which cutoff a step uses ({@code :cutoff}); a body step also gets the rows' cutoff ({@code :rows_cutoff}). */
    private enum Stage {
        BODIES, ROWS
    }

    @FunctionalInterface
    private interface Remover {
        long remove(DbTransaction tx, Instant cutoff, Instant rowsCutoff, int batch);
    }

    /** In this order: expired messages first, so that no body is stripped from a message about to go. */
    private static final List<Step> STEPS = List.of(
            new Step("messages", COUNT_EXPIRED, Stage.ROWS,
                     (tx, cutoff, rowsCutoff, batch) -> claimed(tx, CLAIM_EXPIRED, DELETE_MESSAGES, Stage.ROWS, cutoff,
                                                                rowsCutoff, batch)),
            new Step("message bodies", COUNT_BODIES, Stage.BODIES,
                     (tx, cutoff, rowsCutoff, batch) -> claimed(tx, CLAIM_BODIES, STRIP_BODIES, Stage.BODIES, cutoff,
                                                                rowsCutoff, batch)),
            new Step("webhook deliveries", COUNT_DELIVERIES, Stage.ROWS,
                     (tx, cutoff, rowsCutoff, batch) -> deleted(tx, DELETE_DELIVERIES, cutoff, batch)),
            new Step("batch requests", COUNT_BATCH_REQUESTS, Stage.ROWS,
                     (tx, cutoff, rowsCutoff, batch) -> deleted(tx, DELETE_BATCH_REQUESTS, cutoff, batch)));

    private final Database database;
    private final Clock clock;
    private final Duration bodyAge;
    private final Duration rowAge;

    public Retention(Database database, Clock clock, GatewayConfig.Retention settings) {
        this.database = database;
        this.clock = clock;
        this.bodyAge = Duration.ofDays(settings.bodyDays());
        this.rowAge = Duration.ofDays(settings.days());
    }

    /** What each step removed (or would remove), in step order. */
    public record Removed(Map<String, Long> counts) {
        public Removed {
            counts = Collections.unmodifiableMap(new LinkedHashMap<>(counts));
        }

        public long total() {
            return counts.values().stream().mapToLong(Long::longValue).sum();
        }

        /** These counts and another's, added up per step. */
        public Removed plus(Removed other) {
            Map<String, Long> sum = new LinkedHashMap<>(counts);
            other.counts.forEach((name, n) -> sum.merge(name, n, Long::sum));
            return new Removed(sum);
        }

        static Removed none() {
            Map<String, Long> zero = new LinkedHashMap<>();
            STEPS.forEach(step -> zero.put(step.name(), 0L));
            return new Removed(zero);
        }
    }

    /** What a purge now would remove, without removing anything (and without the lock). */
    public Removed due() {
        Instant now = clock.instant();
        return database.run(() -> {
            Map<String, Long> counts = new LinkedHashMap<>();
            for (Step step : STEPS) {
                var count = database.client().execute()
                        .createGet(step.count())
                        .addParam("cutoff", Rows.param(cutoff(step, now)));
                if (step.stage() == Stage.BODIES) {
                    count.addParam("rows_cutoff", Rows.param(now.minus(rowAge)));
                }
                counts.put(step.name(), count
                        .execute()
                        .map(row -> Rows.longValue(row, "n"))
                        .orElse(0L));
            }
            return new Removed(counts);
        });
    }

    /**
     * One transaction of at most {@code batch} rows in all, step after step; empty when another
     * process holds the lock (it is purging now). Fewer than {@code batch} removed means nothing
     * more is due.
     */
    public Optional<Removed> purgeBatch(int batch) {
        Instant now = clock.instant();
        return database.inTransaction(tx -> {
            boolean locked = tx.createGet(TRY_LOCK).addParam("lock", LOCK).execute()
                    .map(row -> Rows.bool(row, "locked"))
                    .orElse(false);
            if (!locked) {
                return Optional.empty();
            }
            Map<String, Long> counts = new LinkedHashMap<>(Removed.none().counts());
            int left = batch;
            for (Step step : STEPS) {
                if (left == 0) {
                    break;
                }
                long removed = step.remover().remove(tx, cutoff(step, now), now.minus(rowAge), left);
                counts.put(step.name(), removed);
                left -= (int) removed;
            }
            return Optional.of(new Removed(counts));
        });
    }

    /**
     * Purges everything due, batch after batch; empty when another process held the lock at the
     * start or took it between two batches (it goes on from there).
     */
    public Optional<Removed> purge(int batch) {
        Removed total = Removed.none();
        while (true) {
            Optional<Removed> removed = purgeBatch(batch);
            if (removed.isEmpty()) {
                return total.total() == 0 ? Optional.empty() : Optional.of(total);
            }
            total = total.plus(removed.get());
            if (removed.get().total() < batch) {
                return Optional.of(total);
            }
        }
    }

    private Instant cutoff(Step step, Instant now) {
        return now.minus(step.stage() == Stage.BODIES ? bodyAge : rowAge);
    }

    /** Claims a batch of messages and runs each statement on them; returns how many messages. */
    private static long claimed(DbTransaction tx, String claim, List<String> statements, Stage stage, Instant cutoff,
                                Instant rowsCutoff, int batch) {
        var query = tx.createQuery(claim)
                .addParam("cutoff", Rows.param(cutoff))
                .addParam("batch", batch);
        if (stage == Stage.BODIES) {
            query.addParam("rows_cutoff", Rows.param(rowsCutoff));
        }
        String[] ids = query
                .execute()
                .map(row -> Rows.uuid(row, "id").toString())
                .toArray(String[]::new);
        if (ids.length == 0) {
            return 0;
        }
        for (String statement : statements) {
            tx.createUpdate(statement).addParam("ids", ids).execute();
        }
        return ids.length;
    }

    private static long deleted(DbTransaction tx, String statement, Instant cutoff, int batch) {
        return tx.createDelete(statement)
                .addParam("cutoff", Rows.param(cutoff))
                .addParam("batch", batch)
                .execute();
    }
}
