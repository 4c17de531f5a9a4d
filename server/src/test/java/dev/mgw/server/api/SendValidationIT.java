package dev.mgw.server.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

import dev.mgw.server.ApiClient;
import dev.mgw.server.GatewayServerTest;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static dev.mgw.server.api.Checks.assertAccepted;
import static dev.mgw.server.api.Checks.assertInvalid;
import static dev.mgw.server.api.Checks.assertProblem;
import static dev.mgw.server.api.Checks.json;
import static dev.mgw.server.api.Checks.onlyError;
import static dev.mgw.server.api.Checks.valid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every field rule of SPEC §5.2 and every refusal status of /api/v1/send, through the real routing. */
class SendValidationIT extends GatewayServerTest {
    private static final int MAX_REQUEST_SIZE = 8192;
    private static String key;
    private final ApiClient api;
    private final URI uri;

    SendValidationIT(URI uri) {
        this.uri = uri;
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        start(builder, SendValidationIT.class, Map.of("SMTP_FROM_ADDRESS", "Gateway <noreply@gw.example>",
                                                      "ALLOWED_FROM_DOMAINS", "gw.example,mail.example",
                                                      "MAX_REQUEST_SIZE", String.valueOf(MAX_REQUEST_SIZE)));
    }

    @BeforeAll
    static void keys() {
        key = gw.key("validation", 1_000_000);
    }

    private ApiClient.Response send(JsonObjectBuilder body) {
        return api.send(key, json(body));
    }

    // --- accepted shapes

    @Test
    void minimalMessageIsAccepted() {
        ApiClient.Response response = send(valid());
        assertAccepted(response);
        JsonObject body = response.json();
        assertEquals("queued", body.getString("status"));
        assertEquals("Email queued for delivery", body.getString("message"));
        assertEquals("/api/v1/messages/" + body.getString("id"), response.header("Location"));
        assertEquals("no-store", response.header("Cache-Control"));
    }

    @Test
    void toMayBeAnArrayAndAliasesAreAccepted() {
        assertAccepted(send(valid().add("to", Json.createArrayBuilder().add("a@example.com").add("b@example.com"))
                                    .remove("text_body").add("html", "<p>Hi</p>").add("text", "Hi")));
    }

    @Test
    void everyOptionalFieldIsAccepted() {
        assertAccepted(send(valid()
                                    .add("cc", Json.createArrayBuilder().add("cc@example.com"))
                                    .add("bcc", Json.createArrayBuilder().add("audit@example.com"))
                                    .add("html_body", "<p>Thank you</p>")
                                    .add("from", "Billing <billing@mail.example>")
                                    .add("reply_to", "support@example.com")
                                    .add("headers", Json.createObjectBuilder()
                                            .add("X-Priority", "1")
                                            .add("In-Reply-To", "<abc@example.com>")
                                            .add("References", "<abc@example.com>")
                                            .add("List-Unsubscribe", "<mailto:unsub@example.com>")
                                            .add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
                                    .add("tags", Json.createObjectBuilder().add("order", "A-1001").add("kind", "receipt"))
                                    .add("send_at", Instant.now().plus(1, ChronoUnit.HOURS).toString())));
    }

    @Test
    void internationalDomainsAreAccepted() {
        assertAccepted(send(valid().add("to", "kunde@bücher.example")));
    }

    @Test
    void nullOptionalFieldsCountAsAbsent() {
        assertAccepted(send(valid().addNull("cc").addNull("headers").addNull("html_body")));
    }

    @Test
    void duplicateRecipientsCountOnce() {
        JsonArrayBuilder fifty = Json.createArrayBuilder();
        for (int i = 0; i < 50; i++) {
            fifty.add("user" + i + "@example.com");
        }
        assertAccepted(send(valid().add("to", fifty).add("cc", Json.createArrayBuilder().add("USER0@example.com"))));
    }

    // --- 422: one rule each

    @Test
    void unknownFieldsAreRefused() {
        assertInvalid(send(valid().add("priority", "high").add("template_id", "welcome")),
                      "priority", "template_id");
    }

    @Test
    void toIsRequired() {
        assertInvalid(send(valid().remove("to")), "to");
        assertInvalid(send(valid().addNull("to")), "to");
    }

    @Test
    void toMustNotBeAnEmptyArray() {
        assertInvalid(send(valid().add("to", Json.createArrayBuilder())), "to");
    }

    @Test
    void toMustHoldStrings() {
        assertInvalid(send(valid().add("to", 42)), "to");
        assertInvalid(send(valid().add("to", Json.createArrayBuilder().add("a@example.com").add(7))), "to[1]");
    }

    @Test
    void recipientsMustBeAddresses() {
        assertInvalid(send(valid().add("to", Json.createArrayBuilder().add("ok@example.com").add("not-an-address"))),
                      "to[1]");
        assertInvalid(send(valid().add("to", "user@localhost")), "to");
        assertInvalid(send(valid().add("to", "a..b@example.com")), "to");
        assertInvalid(send(valid().add("to", "Name <user@example.com>")), "to");
    }

    @Test
    void localPartIsAtMost64Characters() {
        assertTrue(onlyError(assertInvalid(send(valid().add("to", "a".repeat(65) + "@example.com")), "to"))
                           .contains("64"));
    }

    @Test
    void addressIsAtMost254Characters() {
        String domain = "b".repeat(60) + "." + "c".repeat(60) + "." + "d".repeat(60) + ".example";
        assertTrue(onlyError(assertInvalid(send(valid().add("to", "a".repeat(64) + "@" + domain)), "to"))
                           .contains("254"));
    }

    @Test
    void ipLiteralsAreRefused() {
        assertInvalid(send(valid().add("to", "root@[192.168.1.1]")), "to");
        assertInvalid(send(valid().add("to", "root@192.168.1.1")), "to");
    }

    @Test
    void ccAndBccMustBeArraysOfAddresses() {
        assertInvalid(send(valid().add("cc", "cc@example.com")), "cc");
        assertInvalid(send(valid().add("bcc", Json.createArrayBuilder().add("nope"))), "bcc[0]");
    }

    @Test
    void atMostFiftyDistinctRecipients() {
        JsonArrayBuilder to = Json.createArrayBuilder();
        JsonArrayBuilder bcc = Json.createArrayBuilder();
        for (int i = 0; i < 40; i++) {
            to.add("to" + i + "@example.com");
        }
        for (int i = 0; i < 11; i++) {
            bcc.add("bcc" + i + "@example.com");
        }
        assertTrue(onlyError(assertInvalid(send(valid().add("to", to).add("bcc", bcc)), "to")).contains("51 given"));
    }

    @Test
    void subjectIsRequiredAndOneToNineHundredNinetyEightCharacters() {
        assertInvalid(send(valid().remove("subject")), "subject");
        assertInvalid(send(valid().add("subject", "")), "subject");
        assertInvalid(send(valid().add("subject", "x".repeat(999))), "subject");
        assertAccepted(send(valid().add("subject", "x".repeat(998))));
        assertInvalid(send(valid().add("subject", 12)), "subject");
    }

    @Test
    void subjectMustNotCarryLineBreaksOrNul() {
        assertInvalid(send(valid().add("subject", "Hi\r\nBcc: victim@example.com")), "subject");
        assertInvalid(send(valid().add("subject", "Hi\nthere")), "subject");
        assertInvalid(send(valid().add("subject", "Hi\u0000")), "subject");
    }

    @Test
    void atLeastOneNonEmptyBody() {
        assertInvalid(send(valid().remove("text_body")), "text_body");
        assertInvalid(send(valid().add("text_body", "").add("html_body", "")), "text_body");
    }

    @Test
    void aBodyAndItsAliasAreNotBothAllowed() {
        assertInvalid(send(valid().add("text", "again")), "text");
        assertInvalid(send(valid().add("html_body", "<p>a</p>").add("html", "<p>b</p>")), "html");
    }

    @Test
    void bodiesMustBeStringsWithoutNul() {
        assertInvalid(send(valid().add("text_body", 5)), "text_body");
        assertInvalid(send(valid().add("html_body", "<p>\u0000</p>")), "html_body");
    }

    @Test
    void textMustBeValidUnicode() {
        // the escape reaches the server as written; decoded, it is half a surrogate pair
        assertInvalid(api.send(key, "{\"to\":\"a@example.com\",\"subject\":\"s\",\"text_body\":\"broken \\ud800 x\"}"),
                      "text_body");
    }

    @Test
    void fromMustBeInTheAllowedSenderDomains() {
        assertTrue(onlyError(assertInvalid(send(valid().add("from", "ceo@evil.example")), "from"))
                           .contains("evil.example"));
        assertInvalid(send(valid().add("from", "Billing <billing@sub.gw.example>")), "from");
        assertAccepted(send(valid().add("from", "noreply@gw.example")));
    }

    @Test
    void fromMustBeAnAddressOrNameAndAddress() {
        assertInvalid(send(valid().add("from", "Billing <billing@mail.example")), "from");
        assertInvalid(send(valid().add("from", "Billing\r\n <billing@mail.example>")), "from");
    }

    @Test
    void replyToMustBeAnAddress() {
        assertInvalid(send(valid().add("reply_to", "support")), "reply_to");
        assertInvalid(send(valid().add("reply_to", List.of().size())), "reply_to");
    }

    @Test
    void headersOutsideTheAllowListAreRefusedByName() {
        for (String name : List.of("From", "To", "Cc", "Bcc", "Subject", "Date", "Message-ID", "Sender", "Return-Path",
                                   "Content-Type", "Content-Transfer-Encoding", "MIME-Version", "DKIM-Signature",
                                   "Received")) {
            JsonObject problem = assertInvalid(send(valid().add("headers", Json.createObjectBuilder().add(name, "x"))),
                                               "headers." + name);
            assertTrue(onlyError(problem).contains("'" + name + "'"), problem::toString);
        }
    }

    @Test
    void headerNamesMustBeFieldNames() {
        assertInvalid(send(valid().add("headers", Json.createObjectBuilder().add("X-Bad Name", "x"))),
                      "headers.X-Bad Name");
        assertInvalid(send(valid().add("headers", Json.createObjectBuilder().add("X-", "x"))), "headers.X-");
    }

    @Test
    void atMostTwentyHeaders() {
        JsonObjectBuilder headers = Json.createObjectBuilder();
        for (int i = 0; i < 21; i++) {
            headers.add("X-H" + i, "v");
        }
        assertInvalid(send(valid().add("headers", headers)), "headers");
    }

    @Test
    void headerValuesAreOneLineOfAtMost998Characters() {
        assertInvalid(send(valid().add("headers", Json.createObjectBuilder().add("X-Long", "v".repeat(999)))),
                      "headers.X-Long");
        assertInvalid(send(valid().add("headers", Json.createObjectBuilder().add("X-Inject", "a\r\nBcc: x@example.com"))),
                      "headers.X-Inject");
        assertInvalid(send(valid().add("headers", Json.createObjectBuilder().add("X-Nul", "a\u0000"))),
                      "headers.X-Nul");
        assertInvalid(send(valid().add("headers", Json.createObjectBuilder().add("X-Num", 3))), "headers.X-Num");
    }

    @Test
    void headersMustBeAnObjectWithoutCaseDuplicates() {
        assertInvalid(send(valid().add("headers", Json.createArrayBuilder())), "headers");
        assertInvalid(send(valid().add("headers", Json.createObjectBuilder().add("X-Tag", "a").add("x-tag", "b"))),
                      "headers.x-tag");
    }

    @Test
    void replyToTwiceIsRefused() {
        assertInvalid(send(valid().add("reply_to", "a@example.com")
                                   .add("headers", Json.createObjectBuilder().add("Reply-To", "b@example.com"))),
                      "headers.Reply-To");
    }

    @Test
    void tagsAreAtMostTenStringPairs() {
        JsonObjectBuilder tags = Json.createObjectBuilder();
        for (int i = 0; i < 11; i++) {
            tags.add("t" + i, "v");
        }
        assertInvalid(send(valid().add("tags", tags)), "tags");
        assertInvalid(send(valid().add("tags", Json.createObjectBuilder().add("n", 1))), "tags.n");
        assertInvalid(send(valid().add("tags", Json.createObjectBuilder().add("k".repeat(65), "v"))), "tags." + "k".repeat(65));
        assertInvalid(send(valid().add("tags", Json.createObjectBuilder().add("k", "v".repeat(257)))), "tags.k");
        assertInvalid(send(valid().add("tags", "order=1")), "tags");
    }

    @Test
    void sendAtIsAnRfc3339TimeAtMost72HoursAhead() {
        assertInvalid(send(valid().add("send_at", "tomorrow")), "send_at");
        assertInvalid(send(valid().add("send_at", "2026-11-24T10:00:00")), "send_at");
        assertInvalid(send(valid().add("send_at", Instant.now().plus(73, ChronoUnit.HOURS).toString())), "send_at");
        assertAccepted(send(valid().add("send_at", Instant.now().plus(71, ChronoUnit.HOURS).toString())));
        assertAccepted(send(valid().add("send_at", "2026-11-24T10:00:00+02:00")));
    }

    @Test
    void everyOffendingFieldIsListed() {
        assertInvalid(send(Json.createObjectBuilder().add("to", "x").add("subject", "").add("tags", 1)),
                      "to", "subject", "text_body", "tags");
    }

    // --- 400, 413, 415

    @Test
    void malformedJsonIs400() {
        assertProblem(api.send(key, "{\"to\": "), 400, "bad-request");
        assertProblem(api.send(key, "[1, 2]"), 400, "bad-request");
        assertProblem(api.send(key, ""), 400, "bad-request");
    }

    @Test
    void duplicateJsonKeysAre400() {
        assertProblem(api.send(key, "{\"to\":\"a@example.com\",\"to\":\"b@example.com\",\"subject\":\"s\","
                                    + "\"text\":\"t\"}"), 400, "bad-request");
    }

    @Test
    void absurdNestingIs400() {
        String deep = "[".repeat(3000) + "]".repeat(3000);
        assertProblem(api.send(key, "{\"to\":\"a@example.com\",\"subject\":\"s\",\"text\":\"t\",\"tags\":" + deep + "}"),
                      400, "bad-request");
    }

    @Test
    void bodiesThatAreNotJsonAre415() {
        assertProblem(api.request("POST", "/api/v1/send", key, json(valid()), "Content-Type", "text/plain"),
                      415, "unsupported-media-type");
        assertProblem(api.request("POST", "/api/v1/send", key, json(valid())), 415, "unsupported-media-type");
        assertProblem(api.request("POST", "/api/v1/send", key, json(valid()),
                                  "Content-Type", "application/json; charset=ISO-8859-1"), 415, "unsupported-media-type");
        assertAccepted(api.request("POST", "/api/v1/send", key, json(valid()),
                                   "Content-Type", "application/json; charset=UTF-8"));
    }

    @Test
    void declaredBodyOverTheLimitIs413NamingTheSetting() {
        String big = json(valid().add("text_body", "x".repeat(MAX_REQUEST_SIZE)));
        JsonObject problem = assertProblem(api.send(key, big), 413, "payload-too-large");
        assertEquals("the request body is larger than MAX_REQUEST_SIZE (" + MAX_REQUEST_SIZE + " bytes)",
                     problem.getString("detail"));
    }

    @Test
    void streamedBodyOverTheLimitIs413() throws IOException {
        // well-formed as far as it goes: the body is read as it streams in, and refused once it passes the limit
        String status = rawChunkedPost("{\"to\":\"a@example.com\",\"subject\":\"s\",\"text\":\""
                                       + "x".repeat(MAX_REQUEST_SIZE + 100) + "\"}");
        assertTrue(status.startsWith("HTTP/1.1 413"), status);
    }

    @Test
    void keysInTheQueryStringAre400() {
        for (String name : List.of("api_key", "key", "apikey", "x-api-key", "API_KEY")) {
            assertProblem(api.request("POST", "/api/v1/send?" + name + "=" + key, null, json(valid()),
                                      "Content-Type", "application/json"), 400, "bad-request");
        }
    }

    @Test
    void badIdempotencyKeyIs400() {
        assertProblem(api.send(key, json(valid()), "Idempotency-Key", "x".repeat(256)), 400, "bad-request");
    }

    // --- 401, 403, 404

    @Test
    void missingUnknownAndWrongKeysGetTheSame401() {
        ApiClient.Response missing = api.send(null, json(valid()));
        ApiClient.Response unknown = api.send("mgw_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", json(valid()));
        ApiClient.Response wrongSecret = api.send(key.substring(0, 12) + "x".repeat(32), json(valid()));
        for (ApiClient.Response response : List.of(missing, unknown, wrongSecret)) {
            JsonObject problem = assertProblem(response, 401, "unauthorized");
            assertEquals(assertProblem(missing, 401, "unauthorized").getString("detail"), problem.getString("detail"));
        }
    }

    @Test
    void revokedKeyIs401() {
        String revoked = gw.key("revoked-soon", 10);
        assertAccepted(api.send(revoked, json(valid())));
        assertEquals(0, gw.mgw("keys", "revoke", "revoked-soon"));
        assertProblem(api.send(revoked, json(valid())), 401, "unauthorized");
    }

    @Test
    void recipientsOutsideTheKeysAllowListAre403() {
        String narrow = gw.key("narrow", 10, List.of("ops@example.com", "partner.example"));
        assertAccepted(api.send(narrow, json(valid().add("to", "ops@example.com")
                                                   .add("cc", Json.createArrayBuilder().add("anyone@partner.example")))));
        JsonObject problem = assertProblem(api.send(narrow, json(valid().add("to", "ops@example.com")
                .add("bcc", Json.createArrayBuilder().add("leak@elsewhere.example")))), 403, "forbidden");
        assertTrue(problem.getString("detail").contains("leak@elsewhere.example"), problem::toString);
    }

    @Test
    void unknownRouteIs404ProblemJson() {
        assertProblem(api.get("/api/v1/nothing-here", key), 404, "not-found");
    }

    @Test
    void clientRequestIdIsEchoedOrReplaced() {
        ApiClient.Response echoed = api.send(key, json(valid()), "X-Request-ID", "order-1001.retry_2");
        assertEquals("order-1001.retry_2", echoed.header("X-Request-ID"));
        ApiClient.Response replaced = api.send(key, json(valid()), "X-Request-ID", "bad id with spaces");
        assertTrue(replaced.header("X-Request-ID").matches("[0-9a-f-]{36}"), replaced.header("X-Request-ID"));
    }

    /** A chunked POST whose body passes the limit without a Content-Length: the status line. */
    private String rawChunkedPost(String text) throws IOException {
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /api/v1/send HTTP/1.1\r\nHost: localhost\r\nX-API-Key: " + key
                       + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
                              .getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = text.getBytes(StandardCharsets.UTF_8);
            int sent = 0;
            try {
                while (sent < chunk.length) {
                    int n = Math.min(1024, chunk.length - sent);
                    out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(chunk, sent, n);
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                    sent += n;
                }
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (IOException closedEarly) {
                // the server may answer and close before the whole body is sent
            }
            InputStream in = socket.getInputStream();
            StringBuilder line = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0 && c != '\n') {
                line.append((char) c);
            }
            return line.toString().strip();
        }
    }
}
