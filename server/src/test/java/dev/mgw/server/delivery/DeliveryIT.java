package dev.mgw.server.delivery;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import dev.mgw.core.testing.TcpProxy;
import dev.mgw.server.ApiClient;
import dev.mgw.server.Await;
import dev.mgw.server.GatewayServerTest;
import dev.mgw.server.TestRelay;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import jakarta.json.Json;
import jakarta.json.JsonObjectBuilder;
import jakarta.mail.Message;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Delivery into GreenMail: what arrives, and what retries, failures and crashes do. */
class DeliveryIT extends GatewayServerTest {
    private static TestRelay relay;
    private static TcpProxy relayProxy;
    private static String key;
    private final ApiClient api;

    DeliveryIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        relay = new TestRelay();
        relayProxy = TcpProxy.to("127.0.0.1", relay.port());
        start(builder, DeliveryIT.class, Map.of("SMTP_HOST", "127.0.0.1",
                                                "SMTP_PORT", String.valueOf(relayProxy.port()),
                                                "SMTP_FROM_ADDRESS", "Acme <noreply@acme.example>",
                                                "DELIVERY_WORKERS", "2",
                                                "DELIVERY_BACKOFF_SECONDS", "1",
                                                "SMTP_TIMEOUT_SECONDS", "2"));
    }

    @BeforeAll
    static void apiKey() {
        key = gw.key("delivery", 1_000_000);
    }

    @AfterAll
    static void stopRelay() {
        relayProxy.close();
        relay.close();
    }

    @Test
    void theDeliveredMessageCarriesHeadersBothPartsAndBccOnlyOnTheEnvelope() throws Exception {
        String id = send(Json.createObjectBuilder()
                                 .add("to", "anna@example.com")
                                 .add("cc", Json.createArrayBuilder().add("bert@example.com"))
                                 .add("bcc", Json.createArrayBuilder().add("audit@example.com"))
                                 .add("from", "Jürgen Müller <billing@acme.example>")
                                 .add("reply_to", "support@example.com")
                                 .add("subject", "Grüße – your receipt ✓")
                                 .add("text_body", "Danke für Ihre Bestellung.")
                                 .add("html_body", "<p>Danke für Ihre <b>Bestellung</b>.</p>")
                                 .add("headers", Json.createObjectBuilder()
                                         .add("X-Priority", "1")
                                         .add("List-Unsubscribe", "<mailto:unsub@acme.example>")));
        awaitStatus(id, "sent");
        String messageId = "<" + id + "@acme.example>";
        assertEquals(messageId, column(id, "smtp_message_id"));
        assertEquals("smtp", column(id, "transport"));
        assertTrue(column(id, "sent_at") != null);

        TestRelay.Envelope envelope = envelope(messageId);
        assertEquals(List.of("anna@example.com", "audit@example.com", "bert@example.com"), envelope.recipients());
        assertEquals("billing@acme.example", envelope.sender());

        MimeMessage received = received(messageId);
        assertEquals("Grüße – your receipt ✓", received.getSubject());
        assertTrue(received.getHeader("Subject")[0].startsWith("=?UTF-8?"), "RFC 2047: " + received.getHeader("Subject")[0]);
        InternetAddress from = (InternetAddress) received.getFrom()[0];
        assertEquals("Jürgen Müller", from.getPersonal());
        assertEquals("billing@acme.example", from.getAddress());
        assertTrue(received.getHeader("From")[0].contains("=?UTF-8?"), received.getHeader("From")[0]);
        assertEquals("support@example.com", ((InternetAddress) received.getReplyTo()[0]).getAddress());
        assertEquals("anna@example.com", received.getRecipients(Message.RecipientType.TO)[0].toString());
        assertEquals("bert@example.com", received.getRecipients(Message.RecipientType.CC)[0].toString());
        assertNull(received.getHeader("Bcc"), "bcc is never a header");
        assertTrue(Arrays.stream(relay.received()).noneMatch(m -> header(m, "Bcc") != null));
        assertEquals("1", received.getHeader("X-Priority")[0]);
        assertEquals("<mailto:unsub@acme.example>", received.getHeader("List-Unsubscribe")[0]);
        assertEquals(messageId, received.getMessageID());
        assertTrue(received.getSentDate() != null, "Date");

        assertTrue(received.getContentType().startsWith("multipart/alternative"), received.getContentType());
        MimeMultipart parts = (MimeMultipart) received.getContent();
        assertEquals(2, parts.getCount());
        assertTrue(parts.getBodyPart(0).getContentType().startsWith("text/plain; charset=UTF-8"),
                   parts.getBodyPart(0).getContentType());
        assertEquals("Danke für Ihre Bestellung.", parts.getBodyPart(0).getContent().toString().strip());
        assertTrue(parts.getBodyPart(1).getContentType().startsWith("text/html; charset=UTF-8"));
        assertEquals("<p>Danke für Ihre <b>Bestellung</b>.</p>", parts.getBodyPart(1).getContent().toString().strip());
    }

    @Test
    void aRelayAnswering451TwiceThen250DeliversOnTheThirdAttemptWithTheSameMessageId() {
        relay.failData(2);
        String id = send(simple("retry@example.com"));
        awaitStatus(id, "sent");
        assertEquals("3", column(id, "attempts"));
        assertNull(column(id, "last_error"), "a sent message carries no error");
        String messageId = "<" + id + "@acme.example>";
        assertEquals(List.of(messageId, messageId, messageId),
                     relay.offeredMessageIds().stream().filter(messageId::equals).toList(),
                     "the same Message-ID on every attempt");
        assertEquals(1, relay.envelopes().stream().filter(e -> e.messageId().equals(messageId)).count());
    }

    @Test
    void a550FailsAtOnceWithTheRelaysReply() {
        relay.refuseRecipient("nobody@example.com", "550 5.1.1 <nobody@example.com>: Recipient address rejected");
        String id = send(simple("nobody@example.com"));
        awaitStatus(id, "failed");
        assertEquals("1", column(id, "attempts"));
        assertTrue(column(id, "last_error").contains("550 5.1.1"), column(id, "last_error"));
    }

    @Test
    void someRecipientsRefusedIsSentToTheRestAndNamesTheRefused() {
        relay.refuseRecipient("gone@example.com", "550 5.1.1 <gone@example.com>: user unknown");
        String id = send(simple("here@example.com").add("cc", Json.createArrayBuilder().add("gone@example.com")));
        awaitStatus(id, "sent");
        String error = column(id, "last_error");
        assertTrue(error.contains("gone@example.com") && error.contains("550"), error);
        assertEquals(List.of("here@example.com"), envelope("<" + id + "@acme.example>").recipients());
    }

    @Test
    void aTemporaryRecipientRefusalIsRetried() {
        relay.refuseRecipient("busy@example.com", "452 4.2.2 mailbox full, try later");
        String id = send(simple("busy@example.com"));
        Await.until("a retry", Duration.ofSeconds(10), () -> "queued".equals(column(id, "status"))
                                                              && column(id, "last_error") != null);
        assertTrue(column(id, "last_error").contains("452"), column(id, "last_error"));
        relay.acceptRecipient("busy@example.com");
        awaitStatus(id, "sent");
    }

    @Test
    void theRelayDownForAWhileThenUpDeliversEverythingAndFailsNothing() {
        relayProxy.cut();
        List<String> ids;
        try {
            ids = List.of(send(simple("down1@example.com")), send(simple("down2@example.com")),
                          send(simple("down3@example.com")));
            Await.until("failed attempts while the relay is down", Duration.ofSeconds(10),
                        () -> ids.stream().allMatch(id -> column(id, "last_error") != null));
            assertEquals("DOWN", api.get("/health", null).json().getJsonObject("checks").getString("smtp"));
            assertTrue(column(ids.get(0), "last_error").contains("connect"), column(ids.get(0), "last_error"));
        } finally {
            relayProxy.restore();
        }
        ids.forEach(id -> awaitStatus(id, "sent"));
        assertEquals("UP", api.get("/health", null).json().getJsonObject("checks").getString("smtp"));
    }

    @Test
    void aRelayThatNeverAnswersTimesOutAndIsRetried() {
        relayProxy.stall();
        String id;
        try {
            id = send(simple("slow@example.com"));
            Await.until("a timed-out attempt", Duration.ofSeconds(15), () -> column(id, "last_error") != null);
            assertEquals("queued", column(id, "status"));
            assertTrue(column(id, "last_error").toLowerCase().contains("timed out")
                       || column(id, "last_error").toLowerCase().contains("timeout"), column(id, "last_error"));
        } finally {
            relayProxy.restore();
        }
        awaitStatus(id, "sent");
    }

    @Test
    void sendAtInTheFutureIsNotDeliveredEarly() {
        Instant sendAt = Instant.now().plusSeconds(3);
        String id = send(simple("later@example.com").add("send_at", sendAt.toString()));
        sleep(1500);
        assertEquals("queued", column(id, "status"));
        assertEquals("0", column(id, "attempts"));
        awaitStatus(id, "sent");
        Instant sentAt = Instant.parse(gw.db().queryString("SELECT to_char(sent_at AT TIME ZONE 'UTC', "
                                                           + "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM messages WHERE id = '"
                                                           + id + "'"));
        assertTrue(!sentAt.isBefore(sendAt), sentAt + " before " + sendAt);
    }

    @Test
    void aSendingRowWhoseLeaseRanOutIsDelivered() {
        String id = send(simple("crashed@example.com").add("send_at", Instant.now().plusSeconds(3600).toString()));
        // what a worker that crashed mid-send leaves behind: sending, one attempt counted, lease over
        gw.db().sql("UPDATE messages SET status = 'sending', attempts = 1, locked_until = now() - interval '1 second', "
                    + "next_attempt_at = now() - interval '1 second' WHERE id = '" + id + "'");
        awaitStatus(id, "sent");
        assertEquals("2", column(id, "attempts"));
    }

    @Test
    void aSendingRowWithALiveLeaseIsLeftAlone() {
        String id = send(simple("leased@example.com").add("send_at", Instant.now().plusSeconds(3600).toString()));
        gw.db().sql("UPDATE messages SET status = 'sending', attempts = 1, locked_until = now() + interval '1 hour', "
                    + "next_attempt_at = now() + interval '1 hour' WHERE id = '" + id + "'");
        sleep(1500);
        assertEquals("sending", column(id, "status"));
        assertEquals("1", column(id, "attempts"));
    }

    private String send(JsonObjectBuilder body) {
        ApiClient.Response response = api.send(key, body.build().toString());
        assertEquals(202, response.status(), response::toString);
        return response.json().getString("id");
    }

    private static JsonObjectBuilder simple(String to) {
        return Json.createObjectBuilder().add("to", to).add("subject", "Hello").add("text_body", "Hi");
    }

    private static TestRelay.Envelope envelope(String messageId) {
        return relay.envelopes().stream().filter(e -> messageId.equals(e.messageId())).findFirst().orElseThrow();
    }

    private static MimeMessage received(String messageId) {
        return Arrays.stream(relay.received())
                .filter(m -> messageId.equals(header(m, "Message-ID")))
                .findFirst()
                .orElseThrow();
    }

    private static String header(MimeMessage message, String name) {
        try {
            String[] values = message.getHeader(name);
            return values == null ? null : values[0];
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
