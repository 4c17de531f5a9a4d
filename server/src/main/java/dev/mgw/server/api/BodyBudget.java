package dev.mgw.server.api;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import dev.mgw.server.observe.ThrottledLog;

/**
 * The memory that request bodies being read and held may take together, so that however many
 * large requests arrive at once the process does not run out of it: a share of the heap the JVM
 * was given ({@code -Xmx}, which the launcher sets), not a number that fits one machine. A request
 * reserves room before its bytes are read and keeps it until its handler ends (its attachments
 * are held until the insert has sent them); a request that cannot get room within
 * {@value #WAIT_MILLIS} ms gets 503 with {@code Retry-After: 1}.
 */
public final class BodyBudget {
    /** A third of the heap: bodies are weighed at what they cost once parsed (see {@link SendBody}). */
    static final int HEAP_SHARE = 3;
    static final long WAIT_MILLIS = 1000;
    private static final int UNIT = 1024;
    private static final System.Logger LOG = System.getLogger(BodyBudget.class.getName());
    private static final ThrottledLog FULL = new ThrottledLog(LOG, Duration.ofSeconds(1));

    private final int units;
    private final Semaphore free;

    public BodyBudget(long bytes) {
        this.units = Math.clamp(bytes / UNIT, 1, Integer.MAX_VALUE);
        this.free = new Semaphore(units);
    }

    /** The budget of this JVM: {@code 1/}{@value #HEAP_SHARE} of its maximum heap. */
    public static BodyBudget ofHeap() {
        return new BodyBudget(Runtime.getRuntime().maxMemory() / HEAP_SHARE);
    }

    public long bytes() {
        return (long) units * UNIT;
    }

    /** Room not reserved right now. */
    public long availableBytes() {
        return (long) free.availablePermits() * UNIT;
    }

    /** An empty reservation for one request, to be closed when the request is done. */
    public Reservation reserve() {
        return new Reservation();
    }

    /** The room one request holds; used by the request's thread only. */
    public final class Reservation implements AutoCloseable {
        private int held;

        /**
         * Makes sure at least {@code bytes} are reserved (all of the budget at most: a request
         * bigger than that runs alone), waiting up to {@value #WAIT_MILLIS} ms for room.
         */
        public void cover(long bytes) {
            int needed = (int) Math.min(units, (bytes + UNIT - 1) / UNIT) - held;
            if (needed <= 0) {
                return;
            }
            boolean reserved;
            try {
                reserved = free.tryAcquire(needed, WAIT_MILLIS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                reserved = false;
            }
            if (!reserved) {
                FULL.report("request bodies in progress hold all of the " + (bytes() >> 10)
                            + " KiB set aside for them; answering 503");
                throw Problem.busy("request bodies in progress take all the memory set aside for them; retry shortly");
            }
            held += needed;
        }

        @Override
        public void close() {
            free.release(held);
            held = 0;
        }
    }
}
