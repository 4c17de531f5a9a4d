package dev.mgw.server.api;

import java.lang.management.ManagementFactory;
import java.time.Duration;

import dev.mgw.core.db.Database;
import dev.mgw.server.observe.ThrottledLog;

import jdk.management.VirtualThreadSchedulerMXBean;

/**
 * The door of the API: every request asks first, and under overload the excess gets a quick 503
 * ({@code Retry-After: 1}) before it costs parsing, a place in the database queue, or time of the
 * requests already let in. Two signals: the database queue ({@link Database#admit()}), and the
 * virtual threads queued for a CPU. Past {@value #MAX_QUEUED_THREADS} of those, the process has
 * more work than CPU, and every request it takes on makes all of them later; a client that gets
 * the 503 at once can retry, where one that waits may time out.
 */
public final class Admission implements Runnable {
    static final int MAX_QUEUED_THREADS = 128;
    private static final System.Logger LOG = System.getLogger(Admission.class.getName());
    private static final ThrottledLog SHEDDING = new ThrottledLog(LOG, Duration.ofSeconds(1));

    private final Database database;
    private final VirtualThreadSchedulerMXBean scheduler =
            ManagementFactory.getPlatformMXBean(VirtualThreadSchedulerMXBean.class);

    public Admission(Database database) {
        this.database = database;
    }

    /** Throws the 503 when the process cannot take another request now. */
    @Override
    public void run() {
        long queued = scheduler.getQueuedVirtualThreadCount();
        if (queued > MAX_QUEUED_THREADS) {
            SHEDDING.report("shedding load: " + queued + " virtual threads are waiting for a CPU");
            throw Problem.busy();
        }
        database.admit();
    }
}
