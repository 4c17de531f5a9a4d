package dev.mgw.server.delivery;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;

import dev.mgw.server.ApiClient;
import dev.mgw.server.Await;
import dev.mgw.server.GatewayServerTest;
import dev.mgw.server.TestRelay;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import jakarta.json.Json;
import jakarta.json.JsonObjectBuilder;
import jakarta.mail.BodyPart;
import jakarta.mail.MessagingException;
import jakarta.mail.Part;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static dev.mgw.server.api.Checks.attachment;
import static dev.mgw.server.api.Checks.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Attachments as they reach the relay (GreenMail): the MIME structure of SPEC §6 and the bytes as sent. */
class AttachmentDeliveryIT extends GatewayServerTest {
    private static TestRelay relay;
    private static String key;
    private final ApiClient api;

    AttachmentDeliveryIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        relay = new TestRelay();
        start(builder, AttachmentDeliveryIT.class, Map.of("SMTP_HOST", "127.0.0.1",
                                                          "SMTP_PORT", String.valueOf(relay.port()),
                                                          "SMTP_FROM_ADDRESS", "Acme <noreply@acme.example>",
                                                          "DELIVERY_WORKERS", "2",
                                                          "MAX_REQUEST_SIZE", String.valueOf(4 << 20)));
    }

    @BeforeAll
    static void apiKey() {
        key = gw.key("attachments", 1_000_000);
    }

    @AfterAll
    static void stopRelay() {
        relay.close();
    }

    @Test
    void anAttachmentAndAnInlineImageArriveByteIdenticalInMixedAlternativeAndRelatedParts() throws Exception {
        // larger than one slice read from the database, and not a multiple of it
        byte[] report = bytes(1, 300_001);
        byte[] logo = bytes(2, 2_345);
        MimeMessage received = deliver(Json.createObjectBuilder()
                                               .add("to", "anna@example.com")
                                               .add("subject", "Your report")
                                               .add("text_body", "The report is attached.")
                                               .add("html_body", "<p><img src=\"cid:logo@acme\"> The report is attached.</p>")
                                               .add("attachments", Json.createArrayBuilder()
                                                       .add(attachment("report.pdf", report))
                                                       .add(attachment("logo.png", logo).add("content_id", "logo@acme"))));

        assertTrue(received.isMimeType("multipart/mixed"), received.getContentType());
        MimeMultipart mixed = (MimeMultipart) received.getContent();
        assertEquals(2, mixed.getCount());

        BodyPart bodies = mixed.getBodyPart(0);
        assertTrue(bodies.isMimeType("multipart/alternative"), bodies.getContentType());
        MimeMultipart alternative = (MimeMultipart) bodies.getContent();
        assertEquals(2, alternative.getCount());
        assertTrue(alternative.getBodyPart(0).isMimeType("text/plain"));
        assertEquals("The report is attached.", alternative.getBodyPart(0).getContent().toString().strip());
        BodyPart htmlWithImages = alternative.getBodyPart(1);
        assertTrue(htmlWithImages.isMimeType("multipart/related"), htmlWithImages.getContentType());
        MimeMultipart related = (MimeMultipart) htmlWithImages.getContent();
        assertEquals(2, related.getCount());
        assertTrue(related.getBodyPart(0).isMimeType("text/html"));
        MimeBodyPart image = (MimeBodyPart) related.getBodyPart(1);
        assertTrue(image.isMimeType("image/png"), image.getContentType());
        assertEquals("<logo@acme>", image.getContentID());
        assertEquals(Part.INLINE, image.getDisposition());
        assertEquals("logo.png", image.getFileName());
        assertArrayEquals(logo, image.getInputStream().readAllBytes());

        BodyPart pdf = mixed.getBodyPart(1);
        assertTrue(pdf.isMimeType("application/pdf"), pdf.getContentType());
        assertEquals(Part.ATTACHMENT, pdf.getDisposition());
        assertEquals("report.pdf", pdf.getFileName());
        assertEquals("base64", ((MimeBodyPart) pdf).getEncoding());
        assertNull(((MimeBodyPart) pdf).getContentID());
        assertArrayEquals(report, pdf.getInputStream().readAllBytes());
    }

    @Test
    void nonAsciiFileNamesAreRfc2231EncodedAndLongOnesContinued() throws Exception {
        String name = "Rechnung März – Übersicht.csv";
        String longName = "Jahresübersicht ".repeat(14) + "2026.pdf";
        byte[] csv = "Datum;Betrag\n2026-03-01;12,50\n".getBytes(StandardCharsets.UTF_8);
        byte[] pdf = bytes(4, 100);
        MimeMessage received = deliver(Json.createObjectBuilder()
                                               .add("to", "bert@example.com")
                                               .add("subject", "Rechnung")
                                               .add("text_body", "Anbei.")
                                               .add("attachments", Json.createArrayBuilder()
                                                       .add(attachment(name, csv))
                                                       .add(attachment(longName, pdf))));

        assertTrue(received.isMimeType("multipart/mixed"), received.getContentType());
        MimeMultipart mixed = (MimeMultipart) received.getContent();
        assertEquals(3, mixed.getCount());
        assertTrue(mixed.getBodyPart(0).isMimeType("text/plain"));
        BodyPart file = mixed.getBodyPart(1);
        String disposition = file.getHeader("Content-Disposition")[0];
        assertTrue(disposition.contains("filename*=UTF-8''Rechnung%20M%C3%A4rz%20%E2%80%93%20%C3%9Cbersicht.csv"),
                   disposition);
        assertTrue(disposition.chars().allMatch(c -> c < 128), "the header is ASCII: " + disposition);
        assertEquals(name, file.getFileName());
        assertTrue(file.isMimeType("text/csv"), file.getContentType());
        assertArrayEquals(csv, file.getInputStream().readAllBytes());

        BodyPart longFile = mixed.getBodyPart(2);
        String longDisposition = longFile.getHeader("Content-Disposition")[0];
        assertTrue(longDisposition.contains("filename*0*=UTF-8''Jahres%C3%BCbersicht") && longDisposition.contains("filename*1*="),
                   "RFC 2231 continuations: " + longDisposition);
        assertTrue(Arrays.stream(longDisposition.split("\r\n")).allMatch(line -> line.length() <= 78), longDisposition);
        assertEquals(longName, longFile.getFileName());
        assertArrayEquals(pdf, longFile.getInputStream().readAllBytes());
    }

    @Test
    void inlineImagesOfAnHtmlOnlyMessageMakeItMultipartRelated() throws Exception {
        byte[] logo = bytes(3, 512);
        MimeMessage received = deliver(Json.createObjectBuilder()
                                               .add("to", "carl@example.com")
                                               .add("subject", "Newsletter")
                                               .add("html_body", "<img src=\"cid:logo\">")
                                               .add("attachments", Json.createArrayBuilder()
                                                       .add(attachment("logo.gif", logo).add("content_id", "logo"))));

        assertTrue(received.isMimeType("multipart/related"), received.getContentType());
        MimeMultipart related = (MimeMultipart) received.getContent();
        assertEquals(2, related.getCount());
        assertTrue(related.getBodyPart(0).isMimeType("text/html"));
        MimeBodyPart image = (MimeBodyPart) related.getBodyPart(1);
        assertTrue(image.isMimeType("image/gif"), "the type from the extension: " + image.getContentType());
        assertEquals("<logo>", image.getContentID());
        assertArrayEquals(logo, image.getInputStream().readAllBytes());
    }

    private MimeMessage deliver(JsonObjectBuilder body) throws MessagingException {
        ApiClient.Response response = api.send(key, body.build().toString());
        assertEquals(202, response.status(), response::toString);
        String id = response.json().getString("id");
        Await.until("message " + id + " sent", Duration.ofSeconds(20),
                    () -> "sent".equals(gw.db().queryString("SELECT status FROM messages WHERE id = '" + id + "'")));
        String messageId = "<" + id + "@acme.example>";
        for (MimeMessage message : relay.received()) {
            if (messageId.equals(message.getMessageID())) {
                return message;
            }
        }
        throw new AssertionError("no message " + messageId + " at the relay");
    }
}
