package dev.mgw.server.submission;

import java.net.URI;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import dev.mgw.server.ApiClient;
import dev.mgw.server.Await;
import dev.mgw.server.GatewayServerTest;
import dev.mgw.server.TestRelay;
import dev.mgw.server.observe.PrometheusText;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import jakarta.json.JsonObject;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPTransport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SMTP submission (SPEC §13) with Angus Mail as the client, delivering into GreenMail. */
class SubmissionIT extends GatewayServerTest {
    private static final Pattern QUEUED = Pattern.compile("250 2\\.0\\.0 Ok: queued as ([0-9a-f-]{36})");
    private static TestRelay relay;
    private static SubmissionClient smtp;
    private final ApiClient api;

    SubmissionIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        relay = new TestRelay();
        int port = SubmissionClient.freePort();
        smtp = new SubmissionClient(port);
        start(builder, SubmissionIT.class, Map.of("SMTP_HOST", "127.0.0.1",
                                                  "SMTP_PORT", String.valueOf(relay.port()),
                                                  "SMTP_FROM_ADDRESS", "noreply@acme.example",
                                                  "DELIVERY_WORKERS", "2",
                                                  "SMTP_SUBMISSION_PORT", String.valueOf(port)));
    }

    @AfterAll
    static void stopRelay() {
        relay.close();
    }

    @Test
    void aMessageSubmittedOverStartTlsWithAuthArrivesIntactWithBccRemoved() throws Exception {
        String key = gw.key("intact", 100);
        Session session = smtp.session();
        MimeMessage message = new MimeMessage(session);
        message.setFrom(new InternetAddress("billing@acme.example", "Acme Billing", "UTF-8"));
        message.setRecipients(Message.RecipientType.TO, "anna@example.com");
        message.setRecipients(Message.RecipientType.CC, "bert@example.com");
        message.setRecipients(Message.RecipientType.BCC, "audit@example.com");
        message.setSubject("Grüße – your receipt ✓", "UTF-8");
        message.setHeader("X-Order", "4711");
        message.setText("Danke für Ihre Bestellung.\r\n.\r\nA line with a dot alone above.\r\n", "UTF-8");
        message.saveChanges();
        String clientMessageId = message.getMessageID();

        String id = queuedId(smtp.send(key, message, "anna@example.com", "bert@example.com", "audit@example.com"));
        awaitStatus(id, "sent");

        TestRelay.Envelope envelope = relay.envelopes().stream()
                .filter(e -> clientMessageId.equals(e.messageId())).findFirst().orElseThrow();
        assertEquals(List.of("anna@example.com", "audit@example.com", "bert@example.com"),
                     envelope.recipients().stream().sorted().toList());
        assertEquals("billing@acme.example", envelope.sender());
        MimeMessage received = Arrays.stream(relay.received())
                .filter(m -> clientMessageId.equals(header(m, "Message-ID"))).findFirst().orElseThrow();
        assertNull(received.getHeader("Bcc"), "Bcc is removed");
        assertEquals("Grüße – your receipt ✓", received.getSubject());
        assertEquals("4711", header(received, "X-Order"));
        assertEquals(header(message, "Date"), header(received, "Date"));
        // GreenMail keeps the data without the CRLF that ends its last line
        assertEquals("Danke für Ihre Bestellung.\r\n.\r\nA line with a dot alone above.", received.getContent());
        assertEquals(clientMessageId, gw.db().queryString("SELECT smtp_message_id FROM messages WHERE id = '" + id + "'"));

        JsonObject view = api.get("/api/v1/messages/" + id, key).json();
        assertEquals("Grüße – your receipt ✓", view.getString("subject"));
        assertEquals("billing@acme.example", view.getString("from"));
        assertEquals("[\"anna@example.com\"]", view.getJsonObject("recipients").getJsonArray("to").toString());
        assertEquals("[\"bert@example.com\"]", view.getJsonObject("recipients").getJsonArray("cc").toString());
        assertEquals("[\"audit@example.com\"]", view.getJsonObject("recipients").getJsonArray("bcc").toString());
        assertEquals(3, gw.charged("intact"));
    }

    @Test
    void aClientThatKeepsItsTlsSessionResumesItOnItsNextConnection() throws Exception {
        String key = gw.key("resume", 100);
        AtomicInteger certificatesSeen = new AtomicInteger();
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                certificatesSeen.incrementAndGet();
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        Session session = smtp.resumingSession(tls.getSocketFactory());
        for (int connection = 1; connection <= 3; connection++) {
            MimeMessage message = new MimeMessage(session);
            message.setFrom("app@acme.example");
            message.setRecipients(Message.RecipientType.TO, "dora@example.com");
            message.setSubject("connection " + connection);
            message.setText("hello");
            queuedId(smtp.send(key, message, "dora@example.com"));
        }
        // a resumed TLS 1.3 handshake carries no certificate: only the first connection showed one
        assertEquals(1, certificatesSeen.get());
        assertEquals(3, gw.charged("resume"));
    }

    @Test
    void messageIdAndDateAreAddedWhenMissing() throws Exception {
        String key = gw.key("bare", 100);
        String id = queuedId(smtp.send(key, smtp.raw("""
                From: app@acme.example
                To: carl@example.com
                Subject: bare

                hello
                """), "carl@example.com"));
        awaitStatus(id, "sent");
        String messageId = "<" + id + "@acme.example>";
        MimeMessage received = Arrays.stream(relay.received())
                .filter(m -> messageId.equals(header(m, "Message-ID"))).findFirst().orElseThrow();
        assertNotNull(received.getSentDate());
        assertEquals("hello", received.getContent());
    }

    @Test
    void authBeforeStartTlsIsRefusedAndNotOffered() throws Exception {
        try (SubmissionClient.Lines lines = smtp.new Lines()) {
            assertTrue(lines.reply().startsWith("220 "));
            String ehlo = lines.command("EHLO client.example");
            assertTrue(ehlo.contains("STARTTLS") && ehlo.contains("PIPELINING") && ehlo.contains("8BITMIME")
                       && ehlo.contains("SIZE 262144"), ehlo);
            assertTrue(!ehlo.contains("AUTH"), "AUTH is offered only after STARTTLS: " + ehlo);
            assertTrue(lines.command("AUTH PLAIN AGFwaWtleQBtZ3dfeA==").startsWith("530 "));
            assertTrue(lines.command("MAIL FROM:<app@acme.example>").startsWith("530 "));
        }
    }

    @Test
    void mailBeforeAuthIs530() throws Exception {
        Session session = smtp.session();
        SMTPTransport transport = (SMTPTransport) session.getTransport("smtp");
        session.getProperties().setProperty("mail.smtp.auth", "false");
        transport.connect("127.0.0.1", -1, null, null);
        try {
            SMTPSendFailedException refused = assertThrows(SMTPSendFailedException.class, () -> SubmissionClient.send(
                    transport, smtp.raw("From: app@acme.example\nTo: x@example.com\nSubject: s\n\nx\n"), "x@example.com"));
            assertEquals(530, refused.getReturnCode());
            assertTrue(refused.getMessage().contains("5.7.0"), refused.getMessage());
        } finally {
            transport.close();
        }
    }

    @Test
    void aWrongKeyIs535AndCountsTowardTheThrottle() throws Exception {
        String key = gw.key("throttled", 100);
        Session session = smtp.session("127.0.0.2");
        for (int i = 0; i < 20; i++) {
            String wrong = "mgw_wrongkeywrongkeywrongkey" + i;
            AuthenticationFailedException failed = assertThrows(AuthenticationFailedException.class,
                                                                () -> smtp.connect(session, wrong));
            assertTrue(failed.getMessage().contains("535 5.7.8"), failed.getMessage());
        }
        AuthenticationFailedException blocked = assertThrows(AuthenticationFailedException.class,
                                                             () -> smtp.connect(session, key));
        assertTrue(blocked.getMessage().contains("454 4.7.0"), "the right key too, once the address is throttled: "
                                                                 + blocked.getMessage());
        // the HTTP side is another address here, and unaffected
        smtp.connect(smtp.session(), key).close();
    }

    @Test
    void quotaHoldsUnderConcurrencyTenConnectionsLimitFifteen() throws Exception {
        String key = gw.key("edge", 15);
        List<String> replies = new CopyOnWriteArrayList<>();
        try (ExecutorService clients = Executors.newFixedThreadPool(10)) {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < 10; c++) {
                int client = c;
                done.add(clients.submit(() -> {
                    Session session = smtp.session();
                    try (SMTPTransport transport = smtp.connect(session, key)) {
                        for (int m = 0; m < 3; m++) {
                            MimeMessage message = smtp.raw("From: app@acme.example\nTo: r" + client + "-" + m
                                                           + "@example.com\nSubject: edge\n\nx\n");
                            try {
                                replies.add(SubmissionClient.send(transport, message, "r" + client + "-" + m + "@example.com"));
                            } catch (SMTPSendFailedException e) {
                                replies.add(e.getMessage().strip());
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> future : done) {
                future.get();
            }
        }
        assertEquals(30, replies.size());
        assertEquals(15, replies.stream().filter(r -> r.startsWith("250 2.0.0")).count(), replies.toString());
        List<String> over = replies.stream().filter(r -> !r.startsWith("250")).toList();
        assertEquals(15, over.size());
        assertTrue(over.stream().allMatch(r -> r.startsWith("450 4.7.1") && r.contains("resets at")), over.toString());
        assertEquals(15, gw.charged("edge"));
        assertEquals(15, gw.stored("edge"));
    }

    @Test
    void aRecipientOutsideTheKeysAllowedListIsRefusedAtRcpt() throws Exception {
        String key = gw.key("allowed", 100, List.of("example.com"));
        assertRcptRefused(() -> smtp.send(key, smtp.raw("From: app@acme.example\nTo: x@other.example\nSubject: s\n\nx\n"),
                                          "x@other.example"), "5.7.1");
        assertEquals(0, gw.stored("allowed"));
        assertEquals(0, gw.charged("allowed"));
    }

    @Test
    void aSuppressedRecipientIsRefusedAtRcptAndOnlyTheAllowedOneIsStoredAndCharged() throws Exception {
        String key = gw.key("suppressed", 100);
        ApiClient.Response listed = api.request("POST", "/api/v1/suppressions", key,
                                                "{\"addresses\": [\"Blocked@example.com\"], \"reason\": \"manual\"}",
                                                "Content-Type", "application/json");
        assertEquals(201, listed.status(), listed::toString);
        gw.db().sql("INSERT INTO suppressions (api_key_id, address, reason) "
                        + "VALUES (NULL, 'everyone-blocked@example.com', 'complaint')");
        Session session = smtp.session();
        session.getProperties().setProperty("mail.smtp.sendpartial", "true");
        MimeMessage message = smtp.raw("""
                From: app@acme.example
                To: blocked@example.com, everyone-blocked@example.com, welcome@example.com
                Subject: partly suppressed

                hello
                """);

        String reply;
        SendFailedException partial;
        try (SMTPTransport transport = smtp.connect(session, key)) {
            partial = assertThrows(SendFailedException.class, () -> SubmissionClient.send(
                    transport, message, "BLOCKED@example.com", "everyone-blocked@example.com", "welcome@example.com"));
            reply = transport.getLastServerResponse().strip();
        }
        List<String> refusals = new ArrayList<>();
        for (Exception next = partial.getNextException(); next instanceof SMTPAddressFailedException rcpt;
             next = rcpt.getNextException()) {
            assertEquals(550, rcpt.getReturnCode());
            refusals.add(rcpt.getAddress().getAddress() + " " + rcpt.getMessage().strip());
        }
        assertEquals(List.of("BLOCKED@example.com 550 5.1.1 BLOCKED@example.com is on the suppression list",
                             "everyone-blocked@example.com 550 5.1.1 everyone-blocked@example.com is on the suppression list"),
                     refusals, "the key's own entry (any case) and the global one");
        assertEquals(1, partial.getValidSentAddresses().length);
        String id = queuedId(reply);

        assertEquals(1, gw.stored("suppressed"));
        assertEquals(1, gw.charged("suppressed"), "only the allowed recipient is charged");
        assertEquals("{welcome@example.com}", gw.db().queryString(
                "SELECT to_recipients || cc_recipients || bcc_recipients FROM messages WHERE id = '" + id + "'"));
        awaitStatus(id, "sent");
        assertEquals(List.of("welcome@example.com"), relay.envelopes().stream()
                .filter(e -> ("<" + id + "@acme.example>").equals(e.messageId())).findFirst().orElseThrow().recipients());
    }

    @Test
    void aSubmittedMessageGetsTheTimelineWebhookEventsAndHardBounceSuppressionOfAnHttpOne() throws Exception {
        String key = gw.key("timeline", 100);
        ApiClient.Response endpoint = api.request("POST", "/api/v1/webhooks", key,
                                                  "{\"url\": \"https://hooks.example.com/mgw\"}",
                                                  "Content-Type", "application/json");
        assertEquals(201, endpoint.status(), endpoint::toString);
        relay.refuseRecipient("gone-smtp@example.com", "550 5.1.1 <gone-smtp@example.com>: no such user");
        String id = queuedId(smtp.send(key, smtp.raw("""
                From: app@acme.example
                To: kept-smtp@example.com, gone-smtp@example.com
                Subject: half

                hello
                """), "kept-smtp@example.com", "gone-smtp@example.com"));
        awaitStatus(id, "sent");

        JsonObject view = api.get("/api/v1/messages/" + id, key).json();
        List<String> types = view.getJsonArray("events").getValuesAs(JsonObject.class).stream()
                .map(event -> event.getString("type")).toList();
        assertEquals(List.of("accepted", "bounced", "sent"), types, view::toString);
        JsonObject bounced = view.getJsonArray("events").getJsonObject(1);
        assertEquals("gone-smtp@example.com", bounced.getString("recipient"));
        assertEquals(550, bounced.getInt("smtp_code"));
        assertEquals("hard_bounce", gw.db().queryString(
                "SELECT reason FROM suppressions WHERE address = 'gone-smtp@example.com'"));
        assertEquals("message.bounced,message.sent", gw.db().queryString(
                "SELECT string_agg(event_type, ',' ORDER BY event_type) FROM webhook_deliveries "
                + "WHERE payload LIKE '%" + id + "%'"), "a webhook delivery for each delivery outcome");

        // the next submission to the bounced address is refused at RCPT TO
        assertRcptRefused(() -> smtp.send(key, smtp.raw("From: app@acme.example\nTo: gone-smtp@example.com\nSubject: s\n\nx\n"),
                                          "gone-smtp@example.com"), "5.1.1");
        assertEquals(1, gw.stored("timeline"));
        assertEquals(2, gw.charged("timeline"));
    }

    @Test
    void aFromOutsideTheAllowedDomainsIsRefused() throws Exception {
        String key = gw.key("from", 100);
        SMTPSendFailedException refused = assertThrows(SMTPSendFailedException.class, () -> smtp.send(
                key, smtp.raw("From: someone@elsewhere.example\nTo: x@example.com\nSubject: s\n\nx\n"), "x@example.com"));
        assertEquals(553, refused.getReturnCode());
        assertEquals(0, gw.stored("from"));
    }

    @Test
    void aReplayedIdempotencyKeyStoresNothing() throws Exception {
        String key = gw.key("replay", 100);
        Session session = smtp.session();
        MimeMessage message = new MimeMessage(session);
        message.setFrom("app@acme.example");
        message.setRecipients(Message.RecipientType.TO, "dora@example.com");
        message.setSubject("once");
        message.setHeader("X-Idempotency-Key", "order-4711");
        message.setText("only once");
        message.saveChanges();
        String first = queuedId(smtp.send(key, message, "dora@example.com"));
        message.saveChanges(); // a retrying client makes a new Message-ID: still the same message
        String second = queuedId(smtp.send(key, message, "dora@example.com"));
        assertEquals(first, second);
        assertEquals(1, gw.stored("replay"));
        assertEquals(1, gw.charged("replay"));

        message.setText("something else");
        message.saveChanges();
        SMTPSendFailedException mismatch = assertThrows(SMTPSendFailedException.class,
                                                        () -> smtp.send(key, message, "dora@example.com"));
        assertEquals(554, mismatch.getReturnCode());
        assertEquals(1, gw.stored("replay"));
    }

    @Test
    void theDatabaseDownIs451AndNothingIsHalfStored() throws Exception {
        String key = gw.key("outage", 100);
        Session session = smtp.session();
        try (SMTPTransport transport = smtp.connect(session, key)) {
            gw.databaseProxy().cut();
            long started = System.nanoTime();
            try {
                SendFailedException refused = assertThrows(SendFailedException.class, () -> SubmissionClient.send(
                        transport, smtp.raw("From: app@acme.example\nTo: x@example.com\nSubject: s\n\nx\n"),
                        "x@example.com"));
                // the suppression check of RCPT TO is the first command that needs the database
                assertInstanceOf(SMTPAddressFailedException.class, refused.getNextException());
                assertTrue(refusal(refused).startsWith("451 4.3.0"), refusal(refused));
                long millis = (System.nanoTime() - started) / 1_000_000;
                assertTrue(millis < 3000, "answered in " + millis + " ms");
            } finally {
                gw.databaseProxy().restore();
            }
        }
        assertEquals(0, gw.stored("outage"), "nothing stored during the outage");
        assertEquals(0, gw.charged("outage"));
        // the gateway serves again by itself, on the connections the outage broke too
        Await.until("the gateway storing messages again", Duration.ofSeconds(15), () -> {
            try {
                smtp.send(key, smtp.raw("From: app@acme.example\nTo: x@example.com\nSubject: s\n\nx\n"), "x@example.com");
                return true;
            } catch (SendFailedException e) {
                assertTrue(refusal(e).startsWith("451 4.3.0"), refusal(e));
                return false;
            } catch (MessagingException e) {
                throw new IllegalStateException(e);
            }
        });
        assertEquals(1, gw.stored("outage"));
        assertEquals(1, gw.charged("outage"));
        assertEquals(0, gw.db().queryLong("SELECT count(*) FROM message_mime mm LEFT JOIN messages m "
                                          + "ON m.id = mm.message_id WHERE m.id IS NULL"));
        assertEquals(1, gw.db().queryLong("SELECT count(*) FROM message_mime mm JOIN messages m ON m.id = mm.message_id "
                                          + "JOIN api_keys k ON k.id = m.api_key_id WHERE k.name = 'outage'"));
    }

    @Test
    void tooLargeIs552() throws Exception {
        String key = gw.key("large", 100);
        String body = "x".repeat(1000) + "\n";
        SMTPSendFailedException refused = assertThrows(SMTPSendFailedException.class, () -> smtp.send(
                key, smtp.raw("From: app@acme.example\nTo: x@example.com\nSubject: s\n\n" + body.repeat(300)),
                "x@example.com"));
        assertEquals(552, refused.getReturnCode());
        assertTrue(refused.getMessage().contains("5.3.4"), refused.getMessage());
        assertEquals(0, gw.stored("large"));
    }

    @Test
    void tenBadCommandsClose421() throws Exception {
        try (SubmissionClient.Lines lines = smtp.new Lines()) {
            lines.reply();
            for (int i = 1; i < 10; i++) {
                assertTrue(lines.command("BOGUS " + i).startsWith("500"));
            }
            assertTrue(lines.command("BOGUS 10").startsWith("421 "));
            assertNull(lines.reply(), "closed");
        }
    }

    @Test
    void sessionsAreCountedByResult() throws Exception {
        double before = sessions("submitted");
        double limitedBefore = sessions("limited");
        smtp.send(gw.key("counted", 10), smtp.raw("From: app@acme.example\nTo: x@example.com\nSubject: s\n\nx\n"),
                  "x@example.com");
        Await.until("a submitted session counted", Duration.ofSeconds(10), () -> sessions("submitted") == before + 1);
        tenBadCommandsClose421();
        Await.until("a limited session counted", Duration.ofSeconds(10), () -> sessions("limited") == limitedBefore + 1);
    }

    private static double sessions(String result) {
        return PrometheusText.parse(gw.gateway().metrics().scrape())
                .value("smtp_submission_sessions_total", Map.of("result", result));
    }

    /** The reply that refused a send: to its RCPT TO (the first refused), or to MAIL FROM or DATA. */
    private static String refusal(SendFailedException e) {
        return (e instanceof SMTPSendFailedException ? e : e.getNextException()).getMessage().strip();
    }

    private static String queuedId(String reply) {
        Matcher matcher = QUEUED.matcher(reply);
        assertTrue(matcher.matches(), reply);
        return matcher.group(1);
    }

    private static String header(MimeMessage message, String name) {
        try {
            String[] values = message.getHeader(name);
            return values == null ? null : values[0];
        } catch (MessagingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The one recipient of the submission {@code send} makes is refused at RCPT TO with 550 and {@code enhanced}. */
    private static void assertRcptRefused(Executable send, String enhanced) {
        SendFailedException refused = assertThrows(SendFailedException.class, send);
        SMTPAddressFailedException rcpt = assertInstanceOf(SMTPAddressFailedException.class, refused.getNextException());
        assertEquals(550, rcpt.getReturnCode());
        assertTrue(rcpt.getMessage().contains(enhanced), rcpt.getMessage());
    }
}
