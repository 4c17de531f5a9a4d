package dev.mgw.server.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.logging.LogManager;
import java.util.stream.Stream;

import dev.mgw.server.ApiClient;
import dev.mgw.server.Await;
import dev.mgw.server.GatewayServerTest;
import dev.mgw.server.RawHttp;
import dev.mgw.server.observe.Logging;
import dev.mgw.server.observe.PrometheusText;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Malformed HTTP (SPEC §5): bad framing, bad headers, bad bodies, sent over a raw socket with a
 * valid key. Never a 2xx, never a 5xx, never an ERROR or a stack trace or a piece of the body in
 * the log; every answered request has its access line and its count under a route template.
 * HTTP/1.0 is answered and the connection closed; a body that stalls gets 408.
 */
class MalformedHttpIT extends GatewayServerTest {
    /** Part of every body sent here: it must never show up in the log. */
    private static final String MARKER = "BODYFRAG-5512";
    private static final String JSON = "{\"to\":\"reader@example.com\",\"subject\":\"" + MARKER + "\",\"text\":\"hello\"}";
    private static final String SEND = "POST /api/v1/send HTTP/1.1";
    private static final ByteArrayOutputStream CAPTURED = new ByteArrayOutputStream();
    private static String key;
    private final URI uri;
    private final ApiClient api;

    MalformedHttpIT(URI uri) {
        this.uri = uri;
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        start(builder, MalformedHttpIT.class, Map.of());
        Logging.configure(gw.gateway().config(), CAPTURED);
        key = gw.key("malformed", 1000);
    }

    @AfterAll
    static void restoreLogging() throws IOException {
        LogManager.getLogManager().readConfiguration();
    }

    /** One request and what the gateway must make of it. */
    record Case(String name, Function<String, byte[]> request, int status, String method, String route,
                boolean closes, boolean halfClose) {
        Case method(String label) {
            return new Case(name, request, status, label, route, closes, halfClose);
        }

        Case route(String template) {
            return new Case(name, request, status, method, template, closes, halfClose);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> malformed() {
        return Stream.of(
                refused("Content-Type ending in a semicolon", SEND, JSON, "Content-Type: application/json;"),
                refused("Content-Type parameter without a value", SEND, JSON, "Content-Type: application/json; charset"),
                refused("Content-Type without a subtype", SEND, JSON, "Content-Type: application"),
                framing("Content-Length -1", SEND, JSON, "Content-Length: -1"),
                framing("Content-Length not a number", SEND, JSON, "Content-Length: 12x"),
                framing("two different Content-Lengths", SEND, JSON,
                        "Content-Length: " + JSON.length(), "Content-Length: " + (JSON.length() + 1)),
                framing("Transfer-Encoding xchunked", SEND, chunked(JSON), "Transfer-Encoding: xchunked"),
                framing("Transfer-Encoding identity with a Content-Length", SEND, JSON,
                        "Transfer-Encoding: identity", "Content-Length: " + JSON.length()),
                framing("Transfer-Encoding gzip, chunked", SEND, chunked(JSON), "Transfer-Encoding: gzip, chunked"),
                framing("Content-Length and Transfer-Encoding chunked", SEND, chunked(JSON),
                        "Content-Length: " + JSON.length(), "Transfer-Encoding: chunked"),
                framing("chunk size not hexadecimal", SEND, "zz\r\n" + JSON + "\r\n0\r\n\r\n", "Transfer-Encoding: chunked"),
                framing("chunk size negative", SEND, "-5\r\n" + JSON + "\r\n0\r\n\r\n", "Transfer-Encoding: chunked"),
                framing("chunk size past 32 bits", SEND, "1ffffffff\r\n" + JSON + "\r\n0\r\n\r\n", "Transfer-Encoding: chunked"),
                framing("chunk extension without a name", SEND, Integer.toHexString(JSON.length()) + ";\r\n" + JSON + "\r\n0\r\n\r\n",
                        "Transfer-Encoding: chunked"),
                framing("chunk-size line longer than 4 KiB", SEND, "5" + ";a=b".repeat(1100) + "\r\nhello\r\n0\r\n\r\n",
                        "Transfer-Encoding: chunked"),
                framing("chunk size too small, so the body is read as a chunk size", SEND,
                        "5\r\n" + JSON + "\r\n0\r\n\r\n", "Transfer-Encoding: chunked"),
                // Helidon fails on the request line before it knows the path
                framing("bad method token", "P@ST /api/v1/send HTTP/1.1", JSON, "Content-Length: " + JSON.length())
                        .method("OTHER").route("unmatched"),
                framing("Content-Length -1 on an unknown path", "POST /api/v1/nowhere HTTP/1.1", JSON, "Content-Length: -1")
                        .route("unmatched"),
                framing("Content-Length -1 on a path with an id", "GET /api/v1/messages/0190f5e0 HTTP/1.1", JSON,
                        "Content-Length: -1").method("GET").route("/api/v1/messages/{id}"),
                refused("valid JSON followed by garbage", SEND, JSON + "garbage"),
                refused("a body that is not valid UTF-8", SEND,
                        bytes("{\"to\":\"reader@example.com\",\"subject\":\"" + MARKER + " \u00ff\u00fe\",\"text\":\"hi\"}")),
                refused("a body that is not JSON", SEND, "to=reader@example.com&subject=" + MARKER),
                new Case("a body shorter than its Content-Length, then the client closes",
                         key -> request(key, SEND, bytes(JSON), "Content-Type: application/json",
                                        "Content-Length: " + (JSON.length() + 100)),
                         400, "POST", "/api/v1/send", true, true));
    }

    static Stream<Case> served() {
        return Stream.of(
                new Case("a legal chunk extension", key -> request(key, SEND,
                                                                   bytes(Integer.toHexString(JSON.length()) + ";name=value\r\n"
                                                                         + JSON + "\r\n0\r\n\r\n"),
                                                                   "Content-Type: application/json",
                                                                   "Transfer-Encoding: chunked"),
                         202, "POST", "/api/v1/send", false, false),
                new Case("chunk extensions with a quoted value and without a value",
                         key -> request(key, SEND, bytes(Integer.toHexString(JSON.length()) + " ; a=\"x;\\\"y\" ;b\r\n"
                                                         + JSON + "\r\n0;last\r\n\r\n"),
                                        "Content-Type: application/json", "Transfer-Encoding: chunked"),
                         202, "POST", "/api/v1/send", false, false),
                new Case("HTTP/1.1 with Connection: close", key -> bytes("GET /health HTTP/1.1\r\nHost: localhost\r\n"
                                                                          + "Connection: close\r\n\r\n"),
                         200, "GET", "/health", true, false),
                new Case("HTTP/1.0 GET /health", key -> bytes("GET /health HTTP/1.0\r\n\r\n"),
                         200, "GET", "/health", true, false),
                new Case("HTTP/1.0 POST /api/v1/send with a Content-Length",
                         key -> bytes("POST /api/v1/send HTTP/1.0\r\nX-API-Key: " + key
                                      + "\r\nContent-Type: application/json\r\nContent-Length: " + JSON.length()
                                      + "\r\n\r\n" + JSON),
                         202, "POST", "/api/v1/send", true, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedRequestsAre400WithAnAccessLineAndNothingInTheLog(Case c) throws IOException {
        exchange(c);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("served")
    void wellFormedOddRequestsAreServed(Case c) throws IOException {
        exchange(c);
    }

    @Test
    void aBodyThatStallsGets408AfterTenSecondsWithAnAccessLine() throws IOException {
        int logStart = logLength();
        PrometheusText before = scrape();
        try (RawHttp connection = RawHttp.open(uri)) {
            long started = System.nanoTime();
            connection.send(request(key, SEND, bytes(JSON.substring(0, 20)), "Content-Type: application/json",
                                    "Content-Length: " + JSON.length()));
            RawHttp.Response response = connection.response(Duration.ofSeconds(30))
                    .orElseThrow(() -> new AssertionError("the connection closed without an answer after "
                                                          + (System.nanoTime() - started) / 1_000_000 + " ms"));
            long millis = (System.nanoTime() - started) / 1_000_000;
            assertEquals(408, response.status(), response::toString);
            long limit = BodyDeadline.LIMIT.toMillis();
            assertTrue(millis >= limit - 500 && millis < limit + 5_000, "answered after " + millis + " ms");
            assertProblem(response);
            assertTrue(connection.closedWithin(Duration.ofSeconds(2)), "the connection is closed after the 408");
            checkAccessLineAndCount(response, "POST", "/api/v1/send", before);
        }
        checkLog(logStart);
    }

    private void exchange(Case c) throws IOException {
        int logStart = logLength();
        PrometheusText before = scrape();
        Optional<RawHttp.Response> answer;
        boolean closed;
        try (RawHttp connection = RawHttp.open(uri)) {
            connection.send(c.request().apply(key));
            if (c.halfClose()) {
                connection.shutdownOutput();
            }
            answer = connection.response(Duration.ofSeconds(20));
            closed = answer.isEmpty() || c.closes() && connection.closedWithin(Duration.ofSeconds(2));
        }
        System.out.println("malformed HTTP: " + c.name() + " -> "
                           + answer.map(r -> String.valueOf(r.status())).orElse("closed without an answer"));
        if (answer.isEmpty()) {
            assertTrue(c.halfClose(), c.name() + ": the connection closed without an answer");
        } else {
            RawHttp.Response response = answer.get();
            assertEquals(c.status(), response.status(), () -> c.name() + ": " + response);
            if (response.status() >= 400) {
                assertProblem(response);
            }
            if (c.closes()) {
                assertTrue(closed, c.name() + ": the connection is closed after the answer");
            }
            checkAccessLineAndCount(response, c.method(), c.route(), before);
        }
        checkLog(logStart);
    }

    private void checkAccessLineAndCount(RawHttp.Response response, String method, String route, PrometheusText before) {
        String requestId = response.header("X-Request-ID");
        assertTrue(requestId != null && !requestId.isBlank(), response::toString);
        Await.until("the access line of " + requestId, Duration.ofSeconds(5),
                    () -> accessLines().stream().anyMatch(l -> requestId.equals(l.getString("request_id", null))));
        JsonObject access = accessLines().stream().filter(l -> requestId.equals(l.getString("request_id", null)))
                .findFirst().orElseThrow();
        assertEquals(response.status(), access.getInt("status"), access::toString);
        assertEquals(route, access.getString("route"), access::toString);
        assertFalse(access.getString("path", "").contains("?"), access::toString);
        assertEquals("127.0.0.1", access.getString("remote", null), access::toString);
        assertTrue(access.containsKey("duration_ms"), access::toString);
        String status = String.valueOf(response.status());
        Map<String, String> labels = Map.of("method", method, "route", route, "status", status);
        assertEquals(1, scrape().value("http_requests_total", labels) - before.value("http_requests_total", labels),
                     () -> "http_requests_total" + labels);
    }

    private static void checkLog(int from) {
        Logging.flush();
        String text = logs().substring(from);
        for (String line : text.lines().toList()) {
            JsonObject json = Json.createReader(new StringReader(line)).readObject();
            assertFalse(json.getString("level").equals("ERROR"), () -> "an ERROR line: " + line);
            assertFalse(json.containsKey("stack_trace"), () -> "a stack trace: " + line);
        }
        assertFalse(text.contains(MARKER), () -> "a piece of the body in the log: " + text);
    }

    private static void assertProblem(RawHttp.Response response) {
        assertEquals("application/problem+json", response.header("Content-Type"), response::toString);
        assertEquals("nosniff", response.header("X-Content-Type-Options"), response::toString);
        JsonObject problem = Json.createReader(new StringReader(response.body())).readObject();
        assertEquals(response.status(), problem.getInt("status"), response::toString);
        assertEquals(response.header("X-Request-ID"), problem.getString("request_id", null), response::toString);
        assertFalse(response.body().contains(MARKER), "the body is not echoed");
        assertFalse(response.body().contains("Exception"), response::toString);
    }

    private List<JsonObject> accessLines() {
        return logs().lines()
                .map(line -> Json.createReader(new StringReader(line)).readObject())
                .filter(json -> json.getString("logger").equals("dev.mgw.access"))
                .toList();
    }

    private PrometheusText scrape() {
        return PrometheusText.parse(api.get("/metrics", null).body());
    }

    private static int logLength() {
        Logging.flush();
        return logs().length();
    }

    private static String logs() {
        synchronized (CAPTURED) {
            return CAPTURED.toString(StandardCharsets.UTF_8);
        }
    }

    /** A case the gateway must refuse with 400 (a JSON content type unless the headers name one). */
    private static Case refused(String name, String requestLine, String body, String... headers) {
        return refused(name, requestLine, bytes(body), headers);
    }

    private static Case refused(String name, String requestLine, byte[] body, String... headers) {
        return new Case(name, key -> request(key, requestLine, body, withLength(body, headers)),
                        400, "POST", "/api/v1/send", false, false);
    }

    /** A request whose framing is broken: 400, and the connection closed after it. */
    private static Case framing(String name, String requestLine, String body, String... headers) {
        return new Case(name, key -> request(key, requestLine, bytes(body), withContentType(headers)),
                        400, "POST", "/api/v1/send", true, false);
    }

    private static byte[] request(String key, String requestLine, byte[] body, String... headers) {
        StringBuilder head = new StringBuilder(requestLine).append("\r\nHost: localhost\r\nX-API-Key: ").append(key)
                .append("\r\n");
        for (String header : headers) {
            head.append(header).append("\r\n");
        }
        byte[] start = bytes(head.append("\r\n").toString());
        byte[] all = new byte[start.length + body.length];
        System.arraycopy(start, 0, all, 0, start.length);
        System.arraycopy(body, 0, all, start.length, body.length);
        return all;
    }

    private static String[] withLength(byte[] body, String... headers) {
        return Stream.concat(Stream.of(withContentType(headers)), Stream.of("Content-Length: " + body.length))
                .toArray(String[]::new);
    }

    private static String[] withContentType(String... headers) {
        if (Stream.of(headers).anyMatch(h -> h.startsWith("Content-Type:"))) {
            return headers;
        }
        return Stream.concat(Stream.of("Content-Type: application/json"), Stream.of(headers)).toArray(String[]::new);
    }

    private static String chunked(String body) {
        return Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n";
    }

    /** ISO-8859-1, so that \u00ff is the byte 0xFF (never valid in UTF-8). */
    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }
}
