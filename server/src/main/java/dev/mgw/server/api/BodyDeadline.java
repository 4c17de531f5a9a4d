package dev.mgw.server.api;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Bounds the time a request body may take to arrive. Helidon sets no read timeout on accepted
 * sockets, so a client trickling its body would hold its connection for as long as it likes.
 * Past the deadline (checked twice a second) the input side of the connection's socket is shut
 * down: the blocked read ends as at the end of the stream, and the request gets a 408 on the
 * output side, which still works, before the connection is closed.
 */
public final class BodyDeadline {
    /** Long enough for 256 KiB over a slow link, short enough to shed trickling clients. */
    public static final Duration LIMIT = Duration.ofSeconds(10);
    /** Reads in progress; a sweeper checks them twice a second. */
    private static final Set<Guard> READERS = ConcurrentHashMap.newKeySet();

    /** One read, its deadline, its socket, and whether the sweeper stopped it. */
    private record Guard(long deadlineNanos, SocketChannel channel, AtomicBoolean expired) {
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

    /**
     * Runs the read; if it is still blocked after {@link #LIMIT}, it is stopped and this throws
     * a 408 that closes the connection. Outside a connection made by {@link HttpConnections} (no
     * socket to stop) the read runs unbounded.
     */
    public static <T> T within(Read<T> read) throws IOException {
        SocketChannel channel = HttpConnections.client().flatMap(HttpConnections.Client::channel).orElse(null);
        if (channel == null) {
            return read.read();
        }
        Guard guard = new Guard(System.nanoTime() + LIMIT.toNanos(), channel, new AtomicBoolean());
        READERS.add(guard);
        try {
            return read.read();
        } catch (IOException | RuntimeException e) {
            if (guard.expired().get()) {
                throw Problem.requestTimeout(LIMIT);
            }
            throw e;
        } finally {
            READERS.remove(guard);
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
            for (Guard guard : READERS) {
                if (now - guard.deadlineNanos() > 0 && guard.expired().compareAndSet(false, true)) {
                    try {
                        guard.channel().shutdownInput();
                    } catch (IOException e) {
                        // the socket is closed already, which ends the read too
                    }
                }
            }
        }
    }
}
