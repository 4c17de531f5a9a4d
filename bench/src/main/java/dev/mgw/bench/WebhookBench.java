package dev.mgw.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import dev.mgw.core.testing.TestDatabase;

/**
 * The webhook rows of {@code make bench} (SPEC §9): deliveries per second from the outbox to a
 * loopback receiver (≥ 1,000/s), and how soon an event reaches the receiver when the gateway is
 * idle (p50 ≤ 100 ms). Self-contained: {@link #run} starts its own gateway (default webhook
 * settings, loopback allowed) and receiver on the bench's database and adds its rows to the report.
 */
final class WebhookBench {
    static final int EVENTS = Bench.scaled(10_000, 500);
    private static final int LONE_EVENTS = 20;
    private static final int UNLIMITED = 1_000_000_000;

    private final TestDatabase db;
    private final Report report;
    private final Path scratch;

    private WebhookBench(TestDatabase db, Report report, Path scratch) {
        this.db = db;
        this.report = report;
        this.scratch = scratch;
    }

    /** Runs both measurements and adds their rows to {@code report}. */
    static void run(TestDatabase db, Report report, Path scratch) throws Exception {
        new WebhookBench(db, report, scratch).measure();
    }

    private void measure() throws Exception {
        Bench.phase("webhooks: a loopback receiver, a gateway with the default webhook settings");
        String key = BenchKeys.create(db.target(), "hooks-", 1, UNLIMITED).getFirst();
        try (Receiver receiver = new Receiver()) {
            String endpoint = db.queryString(
                    "INSERT INTO webhook_endpoints (api_key_id, url, events, secret) "
                    + "SELECT id, 'http://127.0.0.1:" + receiver.port() + "/hook', ARRAY['message.sent', 'webhook.test'], "
                    + "'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' FROM api_keys WHERE name = 'hooks-1' RETURNING id");
            Map<String, String> settings = Map.of("DATABASE_URL", db.url(),
                                                  "SERVER_HOST", "127.0.0.1",
                                                  "SERVER_PORT", String.valueOf(Bench.freePort()),
                                                  "DELIVERY_WORKERS", "0",
                                                  "WEBHOOK_ALLOW_HTTP", "true",
                                                  "WEBHOOK_ALLOW_PRIVATE", "true");
            try (GatewayProcess gateway = GatewayProcess.start(settings,
                                                               scratch.resolve("gateway-webhooks.log"))) {
                double cold = drain(endpoint, receiver, "cold, right after the start");
                double sustained = drain(endpoint, receiver, "sustained, warm");
                report.row("webhook deliveries/s, " + String.format(Locale.ROOT, "%,d", EVENTS)
                           + " queued to a loopback receiver",
                           Report.rate(sustained) + " sustained (the first " + String.format(Locale.ROOT, "%,d", EVENTS)
                           + " after the start: " + Report.rate(cold) + ")", "", "", "≥ 1,000/s",
                           Report.yes(sustained >= 1000));
                loneEvents(gateway, key, endpoint, receiver);
            }
        }
    }

    /** Queues {@link #EVENTS} deliveries at once and times them until all are recorded delivered; returns per second. */
    private double drain(String endpoint, Receiver receiver, String what) throws Exception {
        long before = delivered();
        long arrivedBefore = receiver.count();
        long started = System.nanoTime();
        db.sql("INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, payload) "
               + "SELECT '" + endpoint + "', gen_random_uuid(), 'message.sent', "
               + "'{\"type\":\"message.sent\",\"created_at\":\"' || now() || '\",\"data\":{\"n\":' || g || '}}' "
               + "FROM generate_series(1, " + EVENTS + ") g");
        while (delivered() < before + EVENTS) {
            Thread.sleep(20);
            if (System.nanoTime() - started > Duration.ofMinutes(5).toNanos()) {
                throw new IllegalStateException("the webhook drain did not finish in 5 minutes");
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf(Locale.ROOT, "    %s: %,d webhooks delivered in %.2f s: %,.0f/s (receiver: %,d requests)%n",
                          what, EVENTS, seconds, EVENTS / seconds, receiver.count() - arrivedBefore);
        return EVENTS / seconds;
    }

    /**
     * One event at a time on an idle gateway: from the request that stores it (a {@code webhook.test}:
     * enqueued by the gateway itself, as a status change is) to its arrival at the receiver.
     */
    private void loneEvents(GatewayProcess gateway, String key, String endpoint, Receiver receiver) throws Exception {
        Bench.phase("webhooks: a lone event, stored to received, " + LONE_EVENTS + " times");
        byte[] request = ("POST /api/v1/webhooks/" + endpoint + "/test HTTP/1.1\r\nHost: gateway\r\nX-API-Key: " + key
                          + "\r\nContent-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        List<Double> latencies = new ArrayList<>();
        try (HttpLoad.Client client = new HttpLoad.Client("127.0.0.1", gateway.port())) {
            client.exchange(request);
            for (int i = 0; i < LONE_EVENTS; i++) {
                Thread.sleep(1000);
                long sent = System.nanoTime();
                HttpLoad.Response response = client.exchange(request);
                String eventId = response.body().replaceFirst("^\\{\"event_id\":\"([^\"]+)\".*$", "$1");
                long deadline = sent + Duration.ofSeconds(10).toNanos();
                while (receiver.arrival(eventId) == null) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("event " + eventId + " did not arrive in 10 s: " + response.body());
                    }
                    Thread.sleep(0, 200_000);
                }
                latencies.add((receiver.arrival(eventId) - sent) / 1e6);
            }
        }
        latencies.sort(null);
        double p50 = latencies.get(latencies.size() / 2);
        double max = latencies.getLast();
        System.out.printf(Locale.ROOT, "    stored to received: p50 %.1f ms, max %.1f ms%n", p50, max);
        report.row("event → webhook receiver, lone event (" + LONE_EVENTS + " times, idle)",
                   "p50 " + Report.millis(p50) + " from the request that stores it to the receiver (max "
                   + Report.millis(max) + ")", "", "", "p50 ≤ 100 ms, ≤ 1 s", Report.yes(p50 <= 100 && max <= 1000));
    }

    private long delivered() {
        return db.queryLong("SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'");
    }

    /** A loopback webhook receiver that answers 204 at once and notes when each webhook-id first arrived. */
    private static final class Receiver implements AutoCloseable {
        private final HttpServer server;
        private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        private final Map<String, Long> arrivals = new ConcurrentHashMap<>();
        private final AtomicLong count = new AtomicLong();

        Receiver() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
            server.setExecutor(executor);
            server.createContext("/", this::handle);
            server.start();
        }

        int port() {
            return server.getAddress().getPort();
        }

        long count() {
            return count.get();
        }

        Long arrival(String webhookId) {
            return arrivals.get(webhookId);
        }

        private void handle(HttpExchange exchange) throws IOException {
            long now = System.nanoTime();
            try (InputStream body = exchange.getRequestBody()) {
                body.readAllBytes();
            }
            String id = exchange.getRequestHeaders().getFirst("webhook-id");
            if (id != null) {
                arrivals.putIfAbsent(id, now);
            }
            count.incrementAndGet();
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        }

        @Override
        public void close() {
            server.stop(0);
            executor.shutdownNow();
        }
    }
}
