package dev.mgw.server.retention;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

import dev.mgw.core.retention.Retention;
import dev.mgw.server.work.Workers;

/**
 * Runs retention (SPEC §14) in every gateway: one worker that purges at start and then every
 * {@link #INTERVAL}, {@value Retention#BATCH} rows a transaction until nothing more is due. Where several
 * gateways share a database, whichever takes the advisory lock first does the work and the
 * others find it taken and wait for their next turn ({@link Retention}). A run that removed
 * something says what in one log line.
 */
public final class RetentionWorker {
    private static final System.Logger LOG = System.getLogger(RetentionWorker.class.getName());
    static final Duration INTERVAL = Duration.ofMinutes(10);

    private final Retention retention;
    private final Workers<Retention.Removed> workers;
    /** What the current run removed so far; only the one worker thread touches it. */
    private Retention.Removed run;

    public RetentionWorker(Retention retention) {
        this.retention = retention;
        this.workers = new Workers<>("retention", 1, INTERVAL, new Workers.Work<>() {
            @Override
            public List<Retention.Removed> claim() {
                return purgeBatch();
            }

            @Override
            public void process(List<Retention.Removed> removed) {
                removed.forEach(batch -> run = run == null ? batch : run.plus(batch));
            }
        }, LOG);
    }

    public void start() {
        workers.start();
    }

    /** Purge now instead of at the next interval. */
    public void wake() {
        workers.wake();
    }

    public boolean stop(Duration grace) {
        return workers.stop(grace);
    }

    /** One batch; empty (the worker waits for its next turn) once nothing was removed or another gateway holds the lock. */
    private List<Retention.Removed> purgeBatch() {
        Optional<Retention.Removed> removed = retention.purgeBatch(Retention.BATCH);
        if (removed.isPresent() && removed.get().total() > 0) {
            return List.of(removed.get());
        }
        if (run != null) {
            LOG.log(System.Logger.Level.INFO, "retention removed " + describe(run));
            run = null;
        }
        return List.of();
    }

    static String describe(Retention.Removed removed) {
        return removed.counts().entrySet().stream()
                .map(entry -> entry.getValue() + " " + entry.getKey())
                .collect(Collectors.joining(", "));
    }
}
