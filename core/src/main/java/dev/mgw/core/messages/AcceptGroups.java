package dev.mgw.core.messages;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import dev.mgw.core.db.Database;
import dev.mgw.core.db.DatabaseBusyException;
import dev.mgw.core.quota.Charge;

import io.helidon.dbclient.DbTransaction;

/**
 * Group commit for the common accept (one statement, {@link Outbox}): accepts that wait for a
 * database thread at the same moment share one transaction, so that under load a commit (and its
 * WAL flush) serves several messages instead of one. Each accept still runs its own conditional
 * upsert and insert, in the order of its key, so the quota stays exact and two groups never wait
 * for each other's usage rows in a cycle. Nothing waits to fill a group: a database thread that
 * picks up an accept takes every accept waiting at that moment (up to {@link #MAX_GROUP}); an
 * accept alone is a group of one. An accept is answered only after its group committed.
 */
final class AcceptGroups {
    /**
     * At most this many accepts share a transaction: past it, a commit saves little more (pgbench:
     * 4 ≈ 8). The system property {@code mgw.acceptGroup} sets it, for measurements (1: no groups).
     */
    static final int MAX_GROUP = Math.max(1, Integer.getInteger("mgw.acceptGroup", 10));
    /** An accept that waited this long is not taken into a group any more: its caller is giving up. */
    private static final long STALE_NANOS = TimeUnit.MILLISECONDS.toNanos(1000);

    /** One accept waiting for its group. {@code statement} runs it inside the group's transaction. */
    static final class Pending {
        private final UUID keyId;
        private final Function<DbTransaction, Optional<Charge>> statement;
        private final long queuedAt = System.nanoTime();
        private final AtomicBoolean taken = new AtomicBoolean();
        private final CompletableFuture<Optional<Charge>> result = new CompletableFuture<>();
        /** Set before its result: its group was itself alone, and failed. */
        private volatile boolean failedAlone;

        Pending(UUID keyId, Function<DbTransaction, Optional<Charge>> statement) {
            this.keyId = keyId;
            this.statement = statement;
        }
    }

    /** The group this accept was in failed: the accept runs again on its own. */
    static final class RunAlone extends RuntimeException {
        RunAlone(Throwable cause) {
            super("the accept's group failed", cause, false, false);
        }
    }

    private final Database database;
    private final ConcurrentLinkedQueue<Pending> waiting = new ConcurrentLinkedQueue<>();

    AcceptGroups(Database database) {
        this.database = database;
    }

    /**
     * Runs the accept in a group: the charge, empty when nothing was charged. Throws
     * {@link RunAlone} when its group failed for a reason that may be another accept's (the
     * caller then runs it alone), and what the database threw when it was alone.
     */
    Optional<Charge> accept(Pending pending) {
        long deadline = System.nanoTime() + database.limits().caller().toNanos();
        if (MAX_GROUP > 1) {
            // taken from here by a group's lead, its own or another's (without groups nobody would)
            waiting.add(pending);
        }
        try {
            database.run(() -> {
                lead(pending);
                return null;
            });
        } catch (RuntimeException e) {
            // it never ran (no group will take it now), or it failed alone: as the database said
            if (pending.taken.compareAndSet(false, true) || pending.failedAlone) {
                throw e;
            }
            // another thread's group has it: its answer comes below
        }
        return database.await(pending.result, deadline, () -> { });
    }

    /**
     * On a database thread: unless another thread's group already took {@code mine}, takes it and
     * every accept waiting now into one transaction, and answers them all once it committed.
     */
    private void lead(Pending mine) {
        if (!mine.taken.compareAndSet(false, true)) {
            return;
        }
        List<Pending> group = new ArrayList<>();
        group.add(mine);
        long now = System.nanoTime();
        for (Pending next; group.size() < MAX_GROUP && (next = waiting.poll()) != null; ) {
            if (next == mine || !next.taken.compareAndSet(false, true)) {
                continue;
            }
            if (now - next.queuedAt > STALE_NANOS) {
                next.result.completeExceptionally(new DatabaseBusyException("the accept waited more than "
                                                                            + TimeUnit.NANOSECONDS.toMillis(STALE_NANOS)
                                                                            + " ms for a database thread"));
                continue;
            }
            group.add(next);
        }
        group.sort(Comparator.comparing(pending -> pending.keyId));
        List<Optional<Charge>> charges;
        try {
            charges = database.inTransaction(tx -> {
                List<Optional<Charge>> each = new ArrayList<>(group.size());
                for (Pending pending : group) {
                    each.add(pending.statement.apply(tx));
                }
                return each;
            });
        } catch (RuntimeException e) {
            if (group.size() == 1) {
                mine.failedAlone = true;
                mine.result.completeExceptionally(e);
                throw e;
            }
            for (Pending pending : group) {
                pending.result.completeExceptionally(new RunAlone(e));
            }
            return;
        }
        for (int i = 0; i < group.size(); i++) {
            group.get(i).result.complete(charges.get(i));
        }
    }
}
