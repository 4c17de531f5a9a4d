package dev.mgw.server.work;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import dev.mgw.server.observe.ThrottledLog;

/**
 * The shape every worker of the gateway shares: virtual threads that each claim a batch of due
 * rows under a lease ({@code FOR UPDATE SKIP LOCKED} in {@code core}), work on it outside any
 * transaction, and record the outcomes fenced by the attempt the claim counted; {@link Work}
 * supplies the claim and the work-and-record. Idle workers look again every poll interval; a
 * {@link #wake()} (this process stored work) makes one look at once and then every
 * {@value #BURST_POLL_MILLIS} ms for a moment, until it finds work: the work may still be in a
 * transaction that is about to commit.
 */
public final class Workers<T> {
    static final long BURST_POLL_MILLIS = 10;
    static final long BURST_MILLIS = 250;

    private final String name;
    private final int count;
    private final long pollMillis;
    private final Work<T> work;
    private final System.Logger log;
    private final ThrottledLog trouble;
    private final Semaphore wakeUps = new Semaphore(0);
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running;

    /** What one kind of worker does with its rows. */
    public interface Work<T> {
        /** Claims a batch of due rows; empty when there is nothing to do. */
        List<T> claim();

        /** Works on a claimed batch and records its outcomes; returns when they are recorded (or given up). */
        void process(List<T> claimed);
    }

    public Workers(String name, int count, Duration poll, Work<T> work, System.Logger log) {
        this.name = name;
        this.count = count;
        this.pollMillis = poll.toMillis();
        this.work = work;
        this.log = log;
        this.trouble = new ThrottledLog(log, Duration.ofSeconds(5));
    }

    public void start() {
        running = true;
        for (int i = 0; i < count; i++) {
            threads.add(Thread.ofVirtual().name(name + "-" + i).start(this::loop));
        }
    }

    /** Work was stored here: a worker looks for it now instead of at its next poll. */
    public void wake() {
        if (wakeUps.availablePermits() < threads.size()) {
            wakeUps.release();
        }
    }

    public boolean running() {
        return running;
    }

    /** Stops claiming and gives the batches in hand until {@code grace} is over; true when every worker finished. */
    public boolean stop(Duration grace) {
        running = false;
        wakeUps.release(threads.size());
        long deadline = System.nanoTime() + grace.toNanos();
        boolean finished = true;
        for (Thread thread : threads) {
            try {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !thread.join(Duration.ofNanos(left))) {
                    finished = false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                finished = false;
            }
        }
        return finished;
    }

    private void loop() {
        long burstUntil = System.nanoTime();
        while (running) {
            List<T> claimed;
            try {
                claimed = work.claim();
            } catch (RuntimeException e) {
                trouble.report(name + ": cannot claim work: " + e.getMessage());
                pause(1000);
                continue;
            }
            if (!claimed.isEmpty()) {
                burstUntil = System.nanoTime();
                try {
                    work.process(claimed);
                } catch (RuntimeException e) {
                    log.log(System.Logger.Level.ERROR, name + ": a claimed batch failed; its lease brings it back", e);
                }
                continue;
            }
            boolean burst = System.nanoTime() - burstUntil < 0;
            if (pause(burst ? BURST_POLL_MILLIS : pollMillis)) {
                burstUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(BURST_MILLIS);
            }
        }
        log.log(System.Logger.Level.DEBUG, () -> Thread.currentThread().getName() + " stopped");
    }

    /** Waits up to {@code millis}; true when woken. */
    private boolean pause(long millis) {
        try {
            return wakeUps.tryAcquire(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
            return false;
        }
    }
}
