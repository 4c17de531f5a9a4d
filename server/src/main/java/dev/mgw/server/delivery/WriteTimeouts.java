package dev.mgw.server.delivery;

import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The timer of Angus Mail's write time-out ({@code mail.smtp.executor.writetimeout}): Angus Mail
 * schedules a task that closes the socket before every write to the relay and cancels it after
 * the write. With its default, a {@code ScheduledThreadPoolExecutor} per connection, every
 * schedule wakes that pool's thread to wait again (perf trace in a drain into the sink: a fifth
 * of the gateway's system calls, about four thread wake-ups per message). Here scheduling and
 * cancelling are one lock-free queue insert and one compare-and-set; one daemon thread looks
 * every {@link #TICK} for tasks whose time came and runs them, so a time-out fires up to that
 * much late. Only {@link #schedule(Callable, long, TimeUnit)} is offered: all Angus Mail uses.
 */
final class WriteTimeouts extends AbstractExecutorService implements ScheduledExecutorService {
    static final Duration TICK = Duration.ofMillis(200);
    /** The one of this process: its thread starts with the first connection that uses it. */
    static final WriteTimeouts SHARED = new WriteTimeouts();

    private final ConcurrentLinkedQueue<Timeout<?>> pending = new ConcurrentLinkedQueue<>();
    private volatile Thread sweeper;

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> task, long delay, TimeUnit unit) {
        startSweeper();
        Timeout<V> timeout = new Timeout<>(task, System.nanoTime() + unit.toNanos(delay));
        pending.add(timeout);
        return timeout;
    }

    private void startSweeper() {
        if (sweeper == null) {
            synchronized (this) {
                if (sweeper == null) {
                    sweeper = Thread.ofPlatform().daemon().name("smtp-write-timeouts").start(this::sweep);
                }
            }
        }
    }

    private void sweep() {
        while (true) {
            try {
                Thread.sleep(TICK);
            } catch (InterruptedException e) {
                return;
            }
            runDue(System.nanoTime());
        }
    }

    /** Runs the tasks due by {@code now} (System.nanoTime) and forgets those done or cancelled. */
    void runDue(long now) {
        for (Iterator<Timeout<?>> it = pending.iterator(); it.hasNext(); ) {
            Timeout<?> timeout = it.next();
            if (timeout.isDone()) {
                it.remove();
            } else if (now - timeout.deadline >= 0) {
                timeout.fire();
                it.remove();
            }
        }
    }

    /** Tasks neither run nor cancelled yet. */
    int pending() {
        return (int) pending.stream().filter(timeout -> !timeout.isDone()).count();
    }

    /**
     * Angus Mail's write cancels its time-out the moment the write fails, and closing the socket
     * makes it fail while the task is still running. A plain {@link FutureTask} would then accept
     * the cancel: Angus Mail would report the bare "Socket closed" instead of the task's "Write
     * timed out", and {@code cancel(true)} would interrupt the sweeper, which ends it and every
     * later time-out of the process. So a task is claimed once, by whichever of firing and
     * cancelling comes first, and a cancel never interrupts.
     */
    private static final class Timeout<V> extends FutureTask<V> implements ScheduledFuture<V> {
        private final long deadline;
        private final AtomicBoolean claimed = new AtomicBoolean();

        Timeout(Callable<V> task, long deadline) {
            super(task);
            this.deadline = deadline;
        }

        void fire() {
            if (claimed.compareAndSet(false, true)) {
                run();
            }
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            return claimed.compareAndSet(false, true) && super.cancel(false);
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed other) {
            return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
        }
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
        throw new UnsupportedOperationException("only schedule(Callable, …): Angus Mail's write time-out");
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
        throw new UnsupportedOperationException("only schedule(Callable, …): Angus Mail's write time-out");
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
        throw new UnsupportedOperationException("only schedule(Callable, …): Angus Mail's write time-out");
    }

    @Override
    public void execute(Runnable command) {
        throw new UnsupportedOperationException("only schedule(Callable, …): Angus Mail's write time-out");
    }

    /** The timer lives as long as the process: shutting it down is not offered. */
    @Override
    public void shutdown() {
    }

    @Override
    public List<Runnable> shutdownNow() {
        return List.of();
    }

    @Override
    public boolean isShutdown() {
        return false;
    }

    @Override
    public boolean isTerminated() {
        return false;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
        return false;
    }
}
