package dev.mgw.bench;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.sun.management.OperatingSystemMXBean;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The load generator against a real HTTP server on loopback (the JDK's, as the webhook bench's
 * receiver) that answers each request 100 ms after it came: the open loop has requests due while
 * every connection waits for an answer.
 */
class HttpLoadTest {
    private static final Duration ANSWER_AFTER = Duration.ofMillis(100);
    private static final byte[] ANSWER = "{}".getBytes(StandardCharsets.US_ASCII);

    /**
     * It waits for an answer then, without spinning: it shares the machine with the gateway it
     * measures, and a generator that spun whenever the gateway fell behind took CPU from it just
     * then (389 µs of CPU per message in a half-peak run where the gateway took 324).
     */
    @Test
    void requestsDueWhileEveryConnectionWaitsCostNoCpu() throws Exception {
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            HttpServer server = slowServer(executor);
            try {
                OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
                HttpLoad load = new HttpLoad("127.0.0.1", server.getAddress().getPort());
                long cpuBefore = os.getProcessCpuTime();
                long started = System.nanoTime();

                // 2 connections, each answer after 100 ms: at most 20 answers a second for 200 due
                HttpLoad.Result result = load.openLoop(200, 2, Duration.ofSeconds(2), i -> HttpLoad.send("key", "{}"));

                double wall = (System.nanoTime() - started) / 1e9;
                double cpu = (os.getProcessCpuTime() - cpuBefore) / 1e9;
                assertTrue(result.count(202) >= 20, result.statusSummary());
                assertTrue(cpu < 0.25 * wall, String.format("the process used %.2f s of CPU in %.2f s", cpu, wall));
            } finally {
                server.stop(0);
            }
        }
    }

    @Test
    void answersAreCountedByStatus() throws Exception {
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            HttpServer server = slowServer(executor);
            try {
                HttpLoad.Result result = new HttpLoad("127.0.0.1", server.getAddress().getPort())
                        .closedLoop(2, Duration.ofMillis(500), i -> HttpLoad.send("key", "{}"));

                assertEquals(result.total(), result.count(202), result.statusSummary());
                assertTrue(result.count(202) >= 2 && result.count(202) <= 12, result.statusSummary());
            } finally {
                server.stop(0);
            }
        }
    }

    /** A loopback server answering every request 202 {@link #ANSWER_AFTER} after it came. */
    private static HttpServer slowServer(ExecutorService executor) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(executor);
        server.createContext("/", HttpLoadTest::answerLater);
        server.start();
        return server;
    }

    private static void answerLater(HttpExchange exchange) throws IOException {
        try (InputStream body = exchange.getRequestBody()) {
            body.readAllBytes();
        }
        try {
            Thread.sleep(ANSWER_AFTER);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        exchange.sendResponseHeaders(202, ANSWER.length);
        exchange.getResponseBody().write(ANSWER);
        exchange.close();
    }
}
