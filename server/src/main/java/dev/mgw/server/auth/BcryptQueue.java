package dev.mgw.server.auth;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;

import dev.mgw.server.api.Problem;

/**
 * Where bcrypt runs: a few platform threads (a check is ~80 ms of CPU, which would hold one of
 * the virtual threads' few carriers), fed by a bounded first-come queue. A check that has not
 * started within {@code maxWait} is dropped and its request gets 503 {@code Retry-After: 1}: under
 * a flood of unknown keys the wait stays about a second long, instead of every newcomer's first
 * request waiting behind all of them.
 */
final class BcryptQueue implements AutoCloseable {
    private final ThreadPoolExecutor pool;
    private final long maxWaitNanos;
    private final LongAdder started = new LongAdder();

    BcryptQueue(int threads, int maxQueued, Duration maxWait) {
        this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(maxQueued),
                                           Thread.ofPlatform().daemon().name("bcrypt-", 0).factory());
        this.maxWaitNanos = maxWait.toNanos();
    }

    /** Runs the check on a bcrypt thread and returns its result; a 503 problem if it could not start in time. */
    boolean check(BooleanSupplier check) {
        AtomicBoolean claimed = new AtomicBoolean();
        CountDownLatch running = new CountDownLatch(1);
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        try {
            pool.execute(() -> {
                if (!claimed.compareAndSet(false, true)) {
                    return;
                }
                started.increment();
                running.countDown();
                try {
                    result.complete(check.getAsBoolean());
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            throw Problem.busy();
        }
        if (!awaitStart(running) && claimed.compareAndSet(false, true)) {
            throw Problem.busy();
        }
        return Authenticator.join(result);
    }

    private boolean awaitStart(CountDownLatch running) {
        try {
            return running.await(maxWaitNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Checks started so far. */
    long started() {
        return started.sum();
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
