package dev.mgw.server.api;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds the time a request body may take to arrive. Helidon 4.1 sets no read timeout on
 * accepted sockets, so a client trickling its body would hold its connection for as long as it
 * likes; past the deadline (checked twice a second) the reading (virtual) thread is interrupted,
 * which closes the socket.
 */
public final class BodyDeadline {
    /** Long enough for 256 KiB over a slow link, short enough to shed trickling clients. */
    public static final Duration LIMIT = Duration.ofSeconds(15);
    /** Reads in progress; a sweeper checks them twice a second. */
    private static final Map<Thread, Guard> READERS = new ConcurrentHashMap<>();
    private static final int READING = 0;
    private static final int DONE = 1;
    private static final int INTERRUPTING = 2;
    private static final int INTERRUPTED = 3;

    /** One read and its deadline; the state makes sure an interrupt never outlives the read it was for. */
    private record Guard(long deadlineNanos, AtomicInteger state) {
    }

    static {
        Thread.ofPlatform().daemon().name("body-deadline").start(BodyDeadline::sweep);
    }

    private BodyDeadline() {
    }

    /** Reading of a body, which may block. */
    @FunctionalInterface
    public interface Read<T> {
        T read() throws IOException;
    }

    /** Runs the read; if it is still blocked after {@link #LIMIT}, the connection is closed under it. */
    public static <T> T within(Read<T> read) throws IOException {
        Thread reader = Thread.currentThread();
        Guard guard = new Guard(System.nanoTime() + LIMIT.toNanos(), new AtomicInteger(READING));
        READERS.put(reader, guard);
        try {
            return read.read();
        } finally {
            READERS.remove(reader, guard);
            if (!guard.state().compareAndSet(READING, DONE)) {
                // the sweeper got there first: let its interrupt land, then clear it, so that it
                // cannot hit the work that follows (a database read, say)
                while (guard.state().get() != INTERRUPTED) {
                    Thread.onSpinWait();
                }
                Thread.interrupted();
            }
        }
    }

    private static void sweep() {
        while (true) {
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            READERS.forEach((reader, guard) -> {
                if (now - guard.deadlineNanos() > 0 && guard.state().compareAndSet(READING, INTERRUPTING)) {
                    reader.interrupt();
                    guard.state().set(INTERRUPTED);
                }
            });
        }
    }
}
