package dev.mgw.bench;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Clients for the drills: platform threads, each with one blocking keep-alive connection, sending
 * a message with one key again and again (optionally pausing, optionally up to a budget of
 * requests). They live through a gateway that dies: a request whose connection drops is counted
 * as unanswered, a connection that cannot be opened as refused, and they reconnect. Every id
 * answered with 202 is kept, to be looked for in the sink.
 */
final class Senders implements AutoCloseable {
    private static final Pattern ID = Pattern.compile("^\\{\"id\":\"([^\"]+)\"");

    private final byte[] request;
    private final IntSupplier port;
    private final Duration pause;
    private final AtomicLong budget;
    private final List<Thread> threads = new ArrayList<>();
    private final Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
    private final Set<String> accepted = ConcurrentHashMap.newKeySet();
    private final LongAdder unanswered = new LongAdder();
    private final LongAdder timeouts = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAccumulator slowestNanos = new LongAccumulator(Math::max, 0);
    private volatile boolean stopping;

    private Senders(String key, int threads, IntSupplier port, Duration pause, long budget) {
        this.request = HttpLoad.send(key, Bench.MESSAGE);
        this.port = port;
        this.pause = pause;
        this.budget = new AtomicLong(budget);
        for (int i = 0; i < threads; i++) {
            this.threads.add(Thread.ofPlatform().name("sender-" + i).start(this::sendUntilStopped));
        }
    }

    /** Starts {@code threads} senders to the gateway on {@code port()}, pausing between requests. */
    static Senders start(String key, int threads, IntSupplier port, Duration pause) {
        return new Senders(key, threads, port, pause, Long.MAX_VALUE);
    }

    /** Starts senders that stop after {@code requests} requests between them. */
    static Senders budgeted(String key, int threads, IntSupplier port, long requests) {
        return new Senders(key, threads, port, Duration.ZERO, requests);
    }

    private void sendUntilStopped() {
        HttpLoad.Client client = null;
        while (!stopping && budget.getAndDecrement() > 0) {
            try {
                if (client == null) {
                    try {
                        client = new HttpLoad.Client("127.0.0.1", port.getAsInt());
                    } catch (IOException e) {
                        refused.increment();
                        budget.incrementAndGet();
                        Thread.sleep(10);
                        continue;
                    }
                }
                long started = System.nanoTime();
                HttpLoad.Response response = client.exchange(request);
                slowestNanos.accumulate(System.nanoTime() - started);
                statuses.computeIfAbsent(response.status(), s -> new LongAdder()).increment();
                if (response.status() == 202) {
                    Matcher id = ID.matcher(response.body());
                    if (!id.find()) {
                        throw new IllegalStateException("a 202 without an id: " + response.body());
                    }
                    accepted.add(id.group(1));
                }
                if (!pause.isZero()) {
                    Thread.sleep(pause);
                }
            } catch (SocketTimeoutException e) {
                timeouts.increment();
                client.close();
                client = null;
            } catch (IOException e) {
                unanswered.increment();
                client.close();
                client = null;
            } catch (InterruptedException e) {
                break;
            }
        }
        if (client != null) {
            client.close();
        }
    }

    /** Waits until a budget is spent. */
    void awaitBudget() throws InterruptedException {
        for (Thread thread : threads) {
            thread.join();
        }
    }

    /** Statuses answered so far, by code. */
    Map<Integer, Long> statuses() {
        Map<Integer, Long> counts = new TreeMap<>();
        statuses.forEach((status, count) -> counts.put(status, count.sum()));
        return counts;
    }

    long count(int status) {
        LongAdder count = statuses.get(status);
        return count == null ? 0 : count.sum();
    }

    /** Ids answered with 202. */
    Set<String> accepted() {
        return accepted;
    }

    /** Requests sent whose connection dropped before the answer (a killed gateway). */
    long unanswered() {
        return unanswered.sum();
    }

    /** Requests with no answer within {@link HttpLoad#TIMEOUT}. */
    long timeouts() {
        return timeouts.sum();
    }

    /** Connections that could not be opened (no gateway listening). */
    long refused() {
        return refused.sum();
    }

    /** The slowest answer since the last call, in ms; starts the next period. */
    double slowestMillisThenReset() {
        return slowestNanos.getThenReset() / 1e6;
    }

    @Override
    public void close() throws InterruptedException {
        stopping = true;
        awaitBudget();
    }

    /** Status counts added between two {@link #statuses()} snapshots. */
    static Map<Integer, Long> since(Map<Integer, Long> before, Map<Integer, Long> after) {
        Map<Integer, Long> delta = new TreeMap<>();
        after.forEach((status, count) -> {
            long added = count - before.getOrDefault(status, 0L);
            if (added > 0) {
                delta.put(status, added);
            }
        });
        return delta;
    }
}
