package dev.mgw.server.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;

import dev.mgw.server.Await;
import dev.mgw.server.GatewayServerTest;
import dev.mgw.server.TestGateway;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import jakarta.json.Json;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static dev.mgw.server.api.Checks.json;
import static dev.mgw.server.api.Checks.valid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Request bodies held in memory are bounded in total (SPEC §5.2): with room for two bodies, eight
 * large requests at once get two 202s and six 503s with Retry-After, whichever two come first.
 * Deterministic: the two that got room hold it, their bodies half sent, until the others are answered.
 */
class BodyBudgetIT extends GatewayServerTest {
    private static final int BUDGET = 100 * 1024;
    private static String key;
    private final URI uri;

    BodyBudgetIT(URI uri) {
        this.uri = uri;
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        gw = TestGateway.start(BodyBudgetIT.class, Map.of("MAX_REQUEST_SIZE", String.valueOf(1 << 20)),
                               new BodyBudget(BUDGET));
        gw.server(builder);
    }

    @BeforeAll
    static void key() {
        key = gw.key("budget", 1000);
    }

    @Test
    void requestsThatCannotGetRoomWithinASecondGet503WithRetryAfter() throws Exception {
        // each body is about 37 KB: two fit in 100 KiB, a third does not
        byte[] body = attachmentBody(28_000);
        int split = 100;
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                Socket socket = new Socket(uri.getHost(), uri.getPort());
                socket.setSoTimeout(5000);
                OutputStream out = socket.getOutputStream();
                out.write(head("/api/v1/send", "Content-Length: " + body.length));
                out.write(body, 0, split);
                out.flush();
                sockets.add(socket);
            }
            List<Socket> waiting = new ArrayList<>();
            int refused = 0;
            for (Socket socket : sockets) {
                String response = responseWithin(socket, Duration.ofSeconds(4));
                if (response == null) {
                    waiting.add(socket);
                    continue;
                }
                assertTrue(response.startsWith("HTTP/1.1 503"), response);
                assertTrue(response.contains("\r\nRetry-After: 1\r\n"), response);
                assertTrue(response.contains("/problems/service-unavailable"), response);
                refused++;
            }
            assertEquals(6, refused);
            assertEquals(2, waiting.size(), "two requests hold their room, their bodies half sent");
            for (Socket socket : waiting) {
                socket.getOutputStream().write(body, split, body.length - split);
                socket.getOutputStream().flush();
                String response = responseWithin(socket, Duration.ofSeconds(10));
                assertTrue(response != null && response.startsWith("HTTP/1.1 202"), String.valueOf(response));
            }
        } finally {
            for (Socket socket : sockets) {
                socket.close();
            }
        }
        assertEquals(2, gw.stored("budget"));
        Await.until("the room given back", Duration.ofSeconds(5),
                    () -> gw.gateway().bodyBudget().availableBytes() == gw.gateway().bodyBudget().bytes());
    }

    @Test
    void aStreamedBodyThatOutgrowsTheRoomLeftGets503() throws Exception {
        byte[] holder = attachmentBody(60_000);
        try (Socket holding = new Socket(uri.getHost(), uri.getPort());
             Socket streaming = new Socket(uri.getHost(), uri.getPort())) {
            holding.getOutputStream().write(head("/api/v1/send", "Content-Length: " + holder.length));
            holding.getOutputStream().write(holder, 0, 100);
            Await.until("the first request holding its room", Duration.ofSeconds(5),
                        () -> gw.gateway().bodyBudget().availableBytes() < BUDGET - holder.length);

            streaming.setSoTimeout(10_000);
            OutputStream out = streaming.getOutputStream();
            out.write(head("/api/v1/send", "Transfer-Encoding: chunked"));
            byte[] streamed = attachmentBody(60_000);
            for (int sent = 0; sent < streamed.length; sent += 4096) {
                int n = Math.min(4096, streamed.length - sent);
                out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(streamed, sent, n);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String response = responseWithin(streaming, Duration.ofSeconds(10));
            assertTrue(response != null && response.startsWith("HTTP/1.1 503"), String.valueOf(response));
            assertTrue(response.contains("\r\nRetry-After: 1\r\n"), response);

            holding.getOutputStream().write(holder, 100, holder.length - 100);
            String held = responseWithin(holding, Duration.ofSeconds(10));
            assertTrue(held != null && held.startsWith("HTTP/1.1 202"), String.valueOf(held));
        }
    }

    private static byte[] head(String path, String framing) {
        return ("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nX-API-Key: " + key
                + "\r\nContent-Type: application/json\r\n" + framing + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** A valid send body with one attachment of {@code size} random bytes. */
    private static byte[] attachmentBody(int size) {
        byte[] content = new byte[size];
        new Random(size).nextBytes(content);
        String json = json(valid().add("attachments", Json.createArrayBuilder().add(
                Json.createObjectBuilder().add("filename", "data.bin")
                        .add("content", Base64.getEncoder().encodeToString(content)))));
        return json.getBytes(StandardCharsets.UTF_8);
    }

    /** The response's head and body, or null when none began within the time. */
    private static String responseWithin(Socket socket, Duration time) throws IOException {
        socket.setSoTimeout((int) time.toMillis());
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[8192];
        int n;
        try {
            n = in.read(buffer);
        } catch (SocketTimeoutException e) {
            return null;
        }
        if (n < 0) {
            return "connection closed";
        }
        StringBuilder response = new StringBuilder(new String(buffer, 0, n, StandardCharsets.UTF_8));
        socket.setSoTimeout(1000);
        try {
            while (!response.toString().contains("}") && (n = in.read(buffer)) > 0) {
                response.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            }
        } catch (SocketTimeoutException e) {
            return response.toString();
        }
        return response.toString();
    }
}
