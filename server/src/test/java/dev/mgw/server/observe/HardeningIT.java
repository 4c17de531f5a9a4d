package dev.mgw.server.observe;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.mgw.server.ApiClient;
import dev.mgw.server.GatewayServerTest;
import dev.mgw.server.api.BodyDeadline;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import static dev.mgw.server.api.Checks.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Abusive clients: wrong methods, oversized headers, garbage request lines, slow bodies. */
class HardeningIT extends GatewayServerTest {
    private final URI uri;
    private final ApiClient api;

    HardeningIT(URI uri) {
        this.uri = uri;
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        start(builder, HardeningIT.class, Map.of());
    }

    @Test
    void unsupportedMethodsAre405ProblemsWithAllow() {
        ApiClient.Response put = api.request("PUT", "/api/v1/send", null, "{}");
        assertProblem(put, 405, "method-not-allowed");
        assertEquals("POST", put.header("Allow"));
        assertEquals("GET", api.request("DELETE", "/api/v1/usage", null, null).header("Allow"));
        assertEquals("GET", api.request("POST", "/health", null, "x").header("Allow"));
        assertProblem(api.request("PATCH", "/api/v1/messages/0190f5e0-0000-7000-8000-000000000001", null, "{}"),
                      405, "method-not-allowed");
    }

    @Test
    void unknownPathsAre404Problems() {
        assertProblem(api.get("/admin", null), 404, "not-found");
        assertProblem(api.get("/api/v2/send", null), 404, "not-found");
    }

    @Test
    void oversizedHeadersAreRefusedAsProblems() throws IOException {
        String response = raw("GET /health HTTP/1.1\r\nHost: x\r\nX-Junk: " + "a".repeat(20_000) + "\r\n\r\n");
        assertTrue(response.startsWith("HTTP/1.1 4"), response);
        assertProblemBody(response);
    }

    @Test
    void aMalformedHeaderLineIsA400Problem() throws IOException {
        String response = raw("GET /health HTTP/1.1\r\nHost: x\r\nNo colon in this line\r\n\r\n");
        assertTrue(response.startsWith("HTTP/1.1 400"), response);
        assertProblemBody(response);
    }

    @Test
    void somethingThatIsNotHttpIsDroppedWithoutAnAnswer() throws IOException {
        assertEquals("", raw("GARBAGE\r\n\r\n"));
    }

    @Test
    void slowBodiesAreCutOffAndDoNotStarveOtherClients() throws Exception {
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) {
                Socket socket = new Socket(uri.getHost(), uri.getPort());
                socket.getOutputStream().write(("POST /api/v1/send HTTP/1.1\r\nHost: x\r\nX-API-Key: k\r\n"
                                                + "Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"to\":")
                                                       .getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
                slow.add(socket);
            }
            long started = System.nanoTime();
            assertEquals(200, api.get("/health/live", null).status(), "others are served meanwhile");
            assertTrue((System.nanoTime() - started) / 1_000_000 < 1000, "promptly");

            Socket probe = slow.getFirst();
            probe.setSoTimeout((int) BodyDeadline.LIMIT.toMillis() * 3);
            long waited = System.nanoTime();
            InputStream in = probe.getInputStream();
            byte[] buffer = new byte[4096];
            int read;
            StringBuilder answer = new StringBuilder();
            try {
                while ((read = in.read(buffer)) >= 0) {
                    answer.append(new String(buffer, 0, read, StandardCharsets.UTF_8));
                }
            } catch (IOException reset) {
                // a reset is as good as a close
            }
            long millis = (System.nanoTime() - waited) / 1_000_000;
            assertTrue(millis < BodyDeadline.LIMIT.toMillis() + 5000, "the stalled body was dropped after " + millis + " ms: "
                                                                      + answer);
            assertTrue(answer.toString().startsWith("HTTP/1.1 401"), "the refusal came first: " + answer);
        } finally {
            for (Socket socket : slow) {
                socket.close();
            }
        }
    }

    private String raw(String request) throws IOException {
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static void assertProblemBody(String response) {
        String lower = response.toLowerCase();
        assertTrue(lower.contains("content-type: application/problem+json"), response);
        assertTrue(lower.contains("x-content-type-options: nosniff"), response);
        assertTrue(lower.contains("x-request-id: "), response);
        JsonObject body = Json.createReader(new StringReader(response.substring(response.indexOf("\r\n\r\n") + 4))).readObject();
        assertTrue(body.getString("type").startsWith("/problems/"), response);
        assertEquals(Integer.parseInt(response.substring(9, 12)), body.getInt("status"));
        assertTrue(!response.contains("aaaaaaaaaa"), "the input is not echoed");
    }
}
