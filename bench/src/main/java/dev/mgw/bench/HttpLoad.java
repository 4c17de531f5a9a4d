package dev.mgw.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * A small HTTP/1.1 load generator over keep-alive connections, event-driven like wrk: a couple
 * of selector threads drive all connections, so that the client costs a few microseconds per
 * request and the gateway (not the client) is what the numbers describe. Closed loop: each
 * connection sends its next request as soon as the answer arrives. Open loop: requests fall due
 * at a fixed rate whatever the answers, go out on the next idle connection, and their latency
 * counts from when they were due, so a server that falls behind shows it; a request without an
 * answer {@link #TIMEOUT} after it was due is a time-out.
 */
final class HttpLoad {
    static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final int THREADS = 2;

    private final InetSocketAddress address;

    HttpLoad(String host, int port) {
        this.address = new InetSocketAddress(host, port);
    }

    /** What a run produced; the engine threads merge into it when they finish. */
    static final class Result {
        private final Map<Integer, Long> statuses = new TreeMap<>();
        private long timeouts;
        private long errors;
        private long[] latencies = new long[0];
        private final List<String> bodies = new ArrayList<>();
        double seconds;

        synchronized void merge(Engine engine) {
            engine.statuses.forEach((status, n) -> statuses.merge(status, n, Long::sum));
            timeouts += engine.timeouts;
            errors += engine.errors;
            long[] merged = Arrays.copyOf(latencies, latencies.length + engine.latencyCount);
            System.arraycopy(engine.latencies, 0, merged, latencies.length, engine.latencyCount);
            latencies = merged;
            bodies.addAll(engine.bodies);
        }

        synchronized long count(int status) {
            return statuses.getOrDefault(status, 0L);
        }

        synchronized long total() {
            return statuses.values().stream().mapToLong(Long::longValue).sum();
        }

        long timeouts() {
            return timeouts;
        }

        long errors() {
            return errors;
        }

        double rate(int status) {
            return count(status) / seconds;
        }

        /** The 202 bodies, when the run was asked to keep them. */
        List<String> acceptedBodies() {
            return Collections.unmodifiableList(bodies);
        }

        /** Latency percentile in milliseconds, over answered requests. */
        synchronized double percentile(double p) {
            if (latencies.length == 0) {
                return Double.NaN;
            }
            Arrays.sort(latencies);
            return latencies[(int) Math.min(latencies.length - 1, Math.ceil(p / 100 * latencies.length) - 1)] / 1_000_000.0;
        }

        synchronized String statusSummary() {
            return statuses + (timeouts > 0 ? " time-outs=" + timeouts : "") + (errors > 0 ? " errors=" + errors : "");
        }
    }

    /** n connections sending back to back for the duration; request(i) makes the i-th request's bytes. */
    Result closedLoop(int connections, Duration duration, IntFunction<byte[]> request) throws InterruptedException {
        return run(connections, 0, duration, request, false);
    }

    /** Requests due at {@code rate} per second for the duration, over up to {@code connections} connections. */
    Result openLoop(double rate, int connections, Duration duration, IntFunction<byte[]> request)
            throws InterruptedException {
        return run(connections, rate, duration, request, false);
    }

    /** As {@link #closedLoop}, keeping every 202 body (the ids). */
    Result closedLoopKeepingBodies(int connections, Duration duration, IntFunction<byte[]> request)
            throws InterruptedException {
        return run(connections, 0, duration, request, true);
    }

    private Result run(int connections, double rate, Duration duration, IntFunction<byte[]> request, boolean keepBodies)
            throws InterruptedException {
        Result result = new Result();
        AtomicInteger sequence = new AtomicInteger();
        int threads = Math.min(THREADS, connections);
        long start = System.nanoTime();
        List<Thread> running = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int share = connections / threads + (t < connections % threads ? 1 : 0);
            Engine engine = new Engine(address, share, rate / threads, start, duration.toNanos(), request, sequence,
                                       keepBodies, t * (rate > 0 ? (long) (1e9 / rate) : 0));
            running.add(Thread.ofPlatform().name("load-" + t).start(() -> {
                engine.run();
                result.merge(engine);
            }));
        }
        for (Thread thread : running) {
            thread.join();
        }
        result.seconds = duration.toNanos() / 1e9;
        return result;
    }

    /** One selector thread and its share of the connections. */
    private static final class Engine {
        private final InetSocketAddress address;
        private final int connections;
        private final long interval;
        private final long start;
        private final long end;
        private final IntFunction<byte[]> request;
        private final AtomicInteger sequence;
        private final boolean keepBodies;
        private final ArrayDeque<Connection> idle = new ArrayDeque<>();
        private final List<Connection> all = new ArrayList<>();
        final Map<Integer, Long> statuses = new TreeMap<>();
        long timeouts;
        long errors;
        /** {@code -Dbench.slow=N}: every answer later than N ms after it was due is printed on stderr (a diagnosis, not a figure). */
        static final long SLOW_NANOS = Long.getLong("bench.slow", 0) * 1_000_000;
        long[] latencies = new long[1 << 16];
        int latencyCount;
        final List<String> bodies = new ArrayList<>();
        private long nextDue;
        private int inFlight;
        private Selector selector;

        Engine(InetSocketAddress address, int connections, double rate, long start, long durationNanos,
               IntFunction<byte[]> request, AtomicInteger sequence, boolean keepBodies, long offset) {
            this.address = address;
            this.connections = connections;
            this.interval = rate > 0 ? (long) (1e9 / rate) : 0;
            this.start = start;
            this.end = start + durationNanos;
            this.request = request;
            this.sequence = sequence;
            this.keepBodies = keepBodies;
            this.nextDue = start + offset;
        }

        void run() {
            try (Selector opened = Selector.open()) {
                selector = opened;
                for (int i = 0; i < connections; i++) {
                    open();
                }
                long lastSweep = System.nanoTime();
                while (true) {
                    long now = System.nanoTime();
                    if (now >= end && inFlight == 0) {
                        break;
                    }
                    if (now >= end + TIMEOUT.toNanos()) {
                        break;
                    }
                    dispatch(now);
                    // a request due while every connection waits for an answer goes out when one
                    // comes, which wakes the selector: spinning meanwhile would take CPU from the
                    // server just when it is behind
                    long wait = interval > 0 && nextDue < end && !idle.isEmpty()
                            ? Math.max(0, nextDue - System.nanoTime()) : 10_000_000;
                    if (wait < 50_000) {
                        selector.selectNow();
                    } else {
                        selector.select(Math.max(1, wait / 1_000_000));
                    }
                    for (SelectionKey key : selector.selectedKeys()) {
                        Connection connection = (Connection) key.attachment();
                        try {
                            if (key.isValid() && key.isWritable()) {
                                connection.write();
                            }
                            if (key.isValid() && key.isReadable()) {
                                connection.read();
                            }
                        } catch (IOException e) {
                            errors++;
                            replace(connection);
                        }
                    }
                    selector.selectedKeys().clear();
                    now = System.nanoTime();
                    if (now - lastSweep > 50_000_000) {
                        sweep(now);
                        lastSweep = now;
                    }
                }
                for (Connection connection : all) {
                    connection.close();
                }
            } catch (IOException e) {
                throw new IllegalStateException("the load generator failed", e);
            }
        }

        /** Closed loop: every idle connection sends. Open loop: every request now due goes out on an idle one. */
        private void dispatch(long now) {
            if (interval == 0) {
                while (now < end && !idle.isEmpty()) {
                    send(idle.poll(), now);
                }
                return;
            }
            while (nextDue <= now && nextDue < end) {
                if (now - nextDue > TIMEOUT.toNanos()) {
                    // due long ago and never sent: every connection was waiting on the server
                    timeouts++;
                    nextDue += interval;
                    continue;
                }
                Connection connection = idle.poll();
                if (connection == null) {
                    return;
                }
                send(connection, nextDue);
                nextDue += interval;
            }
        }

        private void send(Connection connection, long dueAt) {
            try {
                inFlight++;
                connection.send(request.apply(sequence.getAndIncrement()), dueAt);
            } catch (IOException e) {
                errors++;
                replace(connection);
            }
        }

        /** Requests unanswered {@link #TIMEOUT} after they were due are time-outs; their connections are replaced. */
        private void sweep(long now) {
            for (Connection connection : List.copyOf(all)) {
                if (connection.dueAt != 0 && now - connection.dueAt > TIMEOUT.toNanos()) {
                    timeouts++;
                    replace(connection);
                }
            }
        }

        private void open() throws IOException {
            SocketChannel channel = SocketChannel.open(address);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.configureBlocking(false);
            Connection connection = new Connection(this, channel);
            connection.key = channel.register(selector, SelectionKey.OP_READ, connection);
            all.add(connection);
            idle.add(connection);
        }

        private void replace(Connection connection) {
            if (connection.dueAt != 0) {
                inFlight--;
            }
            connection.close();
            all.remove(connection);
            idle.remove(connection);
            try {
                open();
            } catch (IOException e) {
                errors++;
            }
        }

        void answered(Connection connection, int status, long latency, String body, boolean closing) {
            inFlight--;
            statuses.merge(status, 1L, Long::sum);
            if (latencyCount == latencies.length) {
                latencies = Arrays.copyOf(latencies, latencies.length * 2);
            }
            latencies[latencyCount++] = latency;
            if (body != null) {
                bodies.add(body);
            }
            if (closing) {
                replace(connection);
            } else {
                idle.add(connection);
            }
        }
    }

    /** One keep-alive connection of an engine: one request in flight at a time. */
    private static final class Connection {
        private final Engine engine;
        private final SocketChannel channel;
        private final ByteBuffer in = ByteBuffer.allocate(32 * 1024);
        private ByteBuffer out;
        SelectionKey key;
        long dueAt;
        long sentAt;

        Connection(Engine engine, SocketChannel channel) {
            this.engine = engine;
            this.channel = channel;
        }

        void send(byte[] bytes, long due) throws IOException {
            dueAt = due;
            sentAt = System.nanoTime();
            out = ByteBuffer.wrap(bytes);
            write();
        }

        void write() throws IOException {
            channel.write(out);
            key.interestOps(out.hasRemaining() ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        }

        void read() throws IOException {
            int n = channel.read(in);
            if (n < 0) {
                throw new IOException("the server closed the connection");
            }
            int end = headerEnd();
            if (end < 0) {
                if (!in.hasRemaining()) {
                    throw new IOException("response head too large");
                }
                return;
            }
            String head = new String(in.array(), 0, end, StandardCharsets.ISO_8859_1);
            if (dueAt == 0 || head.length() < 12) {
                throw new IOException("unexpected response: " + head);
            }
            int status = Integer.parseInt(head.substring(9, 12));
            int length = contentLength(head);
            int total = end + 4 + length;
            if (in.position() < total) {
                if (total > in.capacity()) {
                    throw new IOException("response too large");
                }
                return;
            }
            String body = engine.keepBodies && status == 202
                    ? new String(in.array(), end + 4, length, StandardCharsets.UTF_8) : null;
            // keep-alive, one request at a time: nothing follows the body
            in.clear();
            long latency = System.nanoTime() - dueAt;
            if (Engine.SLOW_NANOS > 0 && latency > Engine.SLOW_NANOS) {
                // when it was due (wall clock, to line up with other logs), how late the answer, how late it went out
                System.err.printf(Locale.ROOT, "slow: due %s, answered after %.1f ms, sent %.1f ms late%n",
                                  LocalTime.now().minusNanos(latency), latency / 1e6, (sentAt - dueAt) / 1e6);
            }
            dueAt = 0;
            engine.answered(this, status, latency, body, head.toLowerCase(Locale.ROOT).contains("\r\nconnection: close"));
        }

        private int headerEnd() {
            byte[] bytes = in.array();
            for (int i = 0; i + 3 < in.position(); i++) {
                if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n') {
                    return i;
                }
            }
            return -1;
        }

        private static int contentLength(String head) throws IOException {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).equalsIgnoreCase("content-length")) {
                    return Integer.parseInt(line.substring(colon + 1).strip());
                }
                if (colon > 0 && line.substring(0, colon).equalsIgnoreCase("transfer-encoding")) {
                    throw new IOException("chunked responses are not expected");
                }
            }
            return 0;
        }

        void close() {
            try {
                key.cancel();
                channel.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    /** A POST of a JSON body to /api/v1/send with this key. */
    static byte[] send(String key, String json) {
        return post("/api/v1/send", key, json);
    }

    /** A POST of a JSON body to this path with this key. */
    static byte[] post(String path, String key, String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        String head = "POST " + path + " HTTP/1.1\r\nHost: gateway\r\nX-API-Key: " + key
                      + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n";
        byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
        byte[] request = Arrays.copyOf(headBytes, headBytes.length + body.length);
        System.arraycopy(body, 0, request, headBytes.length, body.length);
        return request;
    }

    record Response(int status, String body) {
    }

    /** One blocking keep-alive connection, for single requests (the lone-message latency, the drills). */
    static final class Client implements AutoCloseable {
        private final Socket socket;
        private final OutputStream out;
        private final InputStream in;

        Client(String host, int port) throws IOException {
            this(host, port, TIMEOUT);
        }

        /** A client that waits up to {@code timeout} for each read. */
        Client(String host, int port, Duration timeout) throws IOException {
            socket = new Socket(host, port);
            socket.setTcpNoDelay(true);
            socket.setSoTimeout((int) timeout.toMillis());
            out = socket.getOutputStream();
            in = socket.getInputStream();
        }

        Response exchange(byte[] request) throws IOException {
            out.write(request);
            StringBuilder head = new StringBuilder();
            while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
                int c = in.read();
                if (c < 0) {
                    throw new IOException("connection closed");
                }
                head.append((char) c);
            }
            int status = Integer.parseInt(head.substring(9, 12));
            int length = Connection.contentLength(head.toString());
            byte[] body = in.readNBytes(length);
            if (body.length < length) {
                throw new IOException("short body");
            }
            return new Response(status, new String(body, StandardCharsets.UTF_8));
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
