package dev.mgw.server.observe;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A warning that may repeat thousands of times a second (every request during a database
 * outage): written at most once per interval, with how many were folded into it.
 */
public final class ThrottledLog {
    private final System.Logger log;
    private final long intervalNanos;
    private final AtomicLong lastNanos = new AtomicLong(System.nanoTime() - Long.MAX_VALUE / 2);
    private final AtomicLong suppressed = new AtomicLong();

    public ThrottledLog(System.Logger log, Duration interval) {
        this.log = log;
        this.intervalNanos = interval.toNanos();
    }

    public void report(String message) {
        long now = System.nanoTime();
        long last = lastNanos.get();
        if (now - last >= intervalNanos && lastNanos.compareAndSet(last, now)) {
            long folded = suppressed.getAndSet(0);
            log.log(System.Logger.Level.WARNING, folded == 0 ? message : message + " (and " + folded + " more like it)");
        } else {
            suppressed.incrementAndGet();
        }
    }
}
