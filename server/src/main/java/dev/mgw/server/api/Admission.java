package dev.mgw.server.api;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import dev.mgw.core.db.Database;
import dev.mgw.server.observe.ThrottledLog;

import jdk.management.VirtualThreadSchedulerMXBean;

/**
 * The door of the API: every request asks first, and under overload the excess gets a quick 503
 * ({@code Retry-After: 1}) before it costs parsing, a place in the database queue, or time of the
 * requests already let in. Two signals: the database queue ({@link Database#admit()}), and the
 * virtual threads queued for a CPU. Past {@value #MAX_QUEUED_THREADS} of those, the process has
 * more work than CPU, and every request it takes on makes all of them later; a client that gets
 * the 503 at once can retry, where one that waits may time out. A burst is not overload: the
 * shedding starts only once the queue has stayed that long for {@link CpuGate#ENTER_NANOS}, which
 * a platform thread watches every {@value #SAMPLE_MILLIS} ms (a virtual one would wait in that
 * very queue). While the database is away, {@link Database#admit()} turns requests away as
 * unavailable instead ({@code Retry-After: 5}), whatever the CPU: retrying in a second would not
 * help them.
 */
public final class Admission implements Runnable, AutoCloseable {
    static final int MAX_QUEUED_THREADS = 128;
    static final long SAMPLE_MILLIS = 10;
    private static final System.Logger LOG = System.getLogger(Admission.class.getName());
    private static final ThrottledLog SHEDDING = new ThrottledLog(LOG, Duration.ofSeconds(1));

    private final Database database;
    private final VirtualThreadSchedulerMXBean scheduler =
            ManagementFactory.getPlatformMXBean(VirtualThreadSchedulerMXBean.class);
    private final CpuGate cpu = new CpuGate();
    private final Thread sampler;
    private volatile boolean closed;

    public Admission(Database database) {
        this.database = database;
        this.sampler = Thread.ofPlatform().daemon().name("admission-sampler").start(this::sample);
    }

    private void sample() {
        while (!closed) {
            cpu.observe(queueIsLong(), System.nanoTime());
            try {
                Thread.sleep(SAMPLE_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private boolean queueIsLong() {
        return scheduler.getQueuedVirtualThreadCount() > MAX_QUEUED_THREADS;
    }

    /** Throws the 503 when the process cannot take another request now. */
    @Override
    public void run() {
        database.admit();
        if (cpu.overloaded() && queueIsLong()) {
            SHEDDING.report("shedding load: more than " + MAX_QUEUED_THREADS + " virtual threads are waiting for a CPU");
            throw Problem.busy();
        }
    }

    @Override
    public void close() {
        closed = true;
        sampler.interrupt();
    }

    /**
     * Whether the CPU queue means overload: it must have been long in every sample for
     * {@link #ENTER_NANOS} before requests are shed (a burst of arrivals drains within
     * milliseconds), and short in every sample for {@link #LEAVE_NANOS} before shedding stops
     * (the 503s themselves empty the queue quickly, and sustained overload fills it again). While
     * it lasts, a request is shed whenever the queue is long at its arrival. One sampler writes.
     */
    static final class CpuGate {
        static final long ENTER_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
        static final long LEAVE_NANOS = TimeUnit.SECONDS.toNanos(1);

        private volatile boolean queueWasLong;
        private volatile long changedAt = System.nanoTime();
        private volatile boolean overloaded;

        void observe(boolean queueIsLong, long now) {
            if (queueIsLong != queueWasLong) {
                queueWasLong = queueIsLong;
                changedAt = now;
            }
            long lasted = now - changedAt;
            if (queueIsLong && !overloaded && lasted >= ENTER_NANOS) {
                overloaded = true;
            } else if (!queueIsLong && overloaded && lasted >= LEAVE_NANOS) {
                overloaded = false;
            }
        }

        boolean overloaded() {
            return overloaded;
        }
    }
}
