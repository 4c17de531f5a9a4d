package dev.mgw.server.upkeep;

import java.time.Duration;
import java.util.List;

import dev.mgw.core.upkeep.QueueVacuum;
import dev.mgw.server.work.Workers;

/**
 * Vacuums the queue tables when their dead rows pass the threshold ({@link QueueVacuum}), in
 * every gateway: one worker that looks every {@link #INTERVAL}. Where several gateways share a
 * database, the one that takes the advisory lock vacuums and the others skip that turn.
 */
public final class QueueVacuumWorker {
    private static final System.Logger LOG = System.getLogger(QueueVacuumWorker.class.getName());
    static final Duration INTERVAL = Duration.ofSeconds(1);

    private final QueueVacuum vacuum;
    private final Workers<String> workers;
    /** When to look at the statistics again: not right after a vacuum, nor after finding the lock taken. */
    private long nextLook = System.nanoTime();

    public QueueVacuumWorker(QueueVacuum vacuum) {
        this.vacuum = vacuum;
        this.workers = new Workers<>("queue-vacuum", 1, INTERVAL, new Workers.Work<>() {
            @Override
            public List<String> claim() {
                return System.nanoTime() - nextLook < 0 ? List.of() : vacuum.due();
            }

            @Override
            public void process(List<String> tables) {
                tables.forEach(QueueVacuumWorker.this::vacuum);
                nextLook = System.nanoTime() + INTERVAL.toNanos();
            }
        }, LOG);
    }

    public void start() {
        workers.start();
    }

    public boolean stop(Duration grace) {
        return workers.stop(grace);
    }

    private void vacuum(String table) {
        long started = System.nanoTime();
        if (vacuum.vacuum(table)) {
            LOG.log(System.Logger.Level.DEBUG, () -> "vacuumed " + table + " in "
                                                     + (System.nanoTime() - started) / 1_000_000 + " ms");
        }
    }
}
