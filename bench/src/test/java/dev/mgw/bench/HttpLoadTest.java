package dev.mgw.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import com.sun.management.OperatingSystemMXBean;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The load generator against a real HTTP server on loopback that answers each request 100 ms
 * after it came: the open loop has requests due while every connection waits for an answer.
 */
class HttpLoadTest {
    private static final Duration ANSWER_AFTER = Duration.ofMillis(100);

    /**
     * It waits for an answer then, without spinning: it shares the machine with the gateway it
     * measures, and a generator that spun whenever the gateway fell behind took CPU from it just
     * then (389 µs of CPU per message in a half-peak run where the gateway took 324).
     */
    @Test
    void requestsDueWhileEveryConnectionWaitsCostNoCpu() throws Exception {
        try (ServerSocket server = new ServerSocket(0)) {
            Thread.ofVirtual().start(() -> serve(server));
            OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            HttpLoad load = new HttpLoad("127.0.0.1", server.getLocalPort());
            long cpuBefore = os.getProcessCpuTime();
            long started = System.nanoTime();

            // 2 connections, each answer after 100 ms: at most 20 answers a second for 200 due
            HttpLoad.Result result = load.openLoop(200, 2, Duration.ofSeconds(2), i -> HttpLoad.send("key", "{}"));

            double wall = (System.nanoTime() - started) / 1e9;
            double cpu = (os.getProcessCpuTime() - cpuBefore) / 1e9;
            assertTrue(result.count(202) >= 20, result.statusSummary());
            assertTrue(cpu < 0.25 * wall, String.format("the process used %.2f s of CPU in %.2f s", cpu, wall));
        }
    }

    @Test
    void answersAreCountedByStatus() throws Exception {
        try (ServerSocket server = new ServerSocket(0)) {
            Thread.ofVirtual().start(() -> serve(server));
            HttpLoad.Result result = new HttpLoad("127.0.0.1", server.getLocalPort())
                    .closedLoop(2, Duration.ofMillis(500), i -> HttpLoad.send("key", "{}"));

            assertEquals(result.total(), result.count(202), result.statusSummary());
            assertTrue(result.count(202) >= 2 && result.count(202) <= 12, result.statusSummary());
        }
    }

    /** Each connection on a thread of its own: reads a request (headers, then its body), answers 202 after {@link #ANSWER_AFTER}. */
    private static void serve(ServerSocket server) {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                Thread.ofVirtual().start(() -> answer(socket));
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void answer(Socket socket) {
        try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
            while (true) {
                StringBuilder head = new StringBuilder();
                while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
                    int c = in.read();
                    if (c < 0) {
                        return;
                    }
                    head.append((char) c);
                }
                int length = Integer.parseInt(head.toString().replaceAll("(?is).*content-length: *(\\d+).*", "$1"));
                in.readNBytes(length);
                Thread.sleep(ANSWER_AFTER);
                out.write("HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // the load generator closed the connection
        }
    }
}
