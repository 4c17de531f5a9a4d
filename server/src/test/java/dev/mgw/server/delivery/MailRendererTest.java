package dev.mgw.server.delivery;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;

import dev.mgw.core.db.DatabaseBusyException;
import dev.mgw.core.db.DatabaseUnavailableException;
import dev.mgw.core.messages.EmailAddress;
import dev.mgw.core.messages.OutboundMessage;

import jakarta.mail.BodyPart;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MailRendererTest {
    private static final Session SESSION = Session.getInstance(new Properties());

    @Test
    void attachmentsTheDatabaseCannotServeNowAreATransientFailure() {
        // as the attachment stream reports it from inside the MIME writer
        IOException unreadable = new IOException("cannot read attachment 0",
                                                 new DatabaseUnavailableException("the database is unavailable", null));
        SendResult result = MailRenderer.renderFailed(new MessagingException("IOException while sending message", unreadable));
        assertInstanceOf(SendResult.Transient.class, result);
        assertInstanceOf(SendResult.Transient.class,
                         MailRenderer.renderFailed(new DatabaseBusyException("database work waited more than 1000 ms")));
    }

    @Test
    void aMessageThatCannotBeRenderedFailsForGood() {
        SendResult result = MailRenderer.renderFailed(new MessagingException("bad address"));
        assertInstanceOf(SendResult.Permanent.class, result);
        assertTrue(((SendResult.Permanent) result).error().startsWith("cannot render the message: bad address"));
    }

    /** The renderer writes text bodies itself: byte for byte what Jakarta Mail's setText and writeTo make of them. */
    @ParameterizedTest
    @ValueSource(strings = {"", "Hello from the benchmark", "Grüße aus Köln, danke für Ihre Bestellung.",
                            "日本語のテキストです。ありがとう", "bare LF\nthen CRLF\r\nthen a lone CR\rend",
                            "a tab\tand a control character \u0001 in ASCII", "trailing spaces   \nand =equals= signs\n",
                            ".a leading dot\n.\nand a lone dot line", "<p>Danke für Ihre <b>Bestellung</b>.</p>",
                            "\uD83D\uDE00 emoji and \uD800 a lone surrogate"})
    void aTextBodyIsWhatJakartaMailWouldWrite(String text) throws Exception {
        for (String body : List.of(text, text.repeat(40), "x".repeat(999) + text, "y".repeat(998) + "\n" + text)) {
            for (String subtype : List.of("plain", "html")) {
                MimeMessage reference = new MimeMessage(SESSION);
                reference.setText(body, "UTF-8", subtype);
                reference.saveChanges();
                MailRenderer.Body rendered = MailRenderer.text(body, subtype);
                assertEquals(reference.getContentType(), rendered.contentType());
                assertEquals(reference.getEncoding(), rendered.encoding(), body);
                assertArrayEquals(content(reference), rendered.bytes(), body);
            }
        }
    }

    @Test
    void bothBodiesAreAMultipartAlternativeThatParsesBack() throws Exception {
        String text = "Danke für Ihre Bestellung.\n" + "lang ".repeat(300);
        String html = "<p>日本語のテキスト</p>";
        MimeMessage parsed = written(message(Optional.of(text), Optional.of(html)));
        assertTrue(parsed.getContentType().startsWith("multipart/alternative; boundary="), parsed.getContentType());
        MimeMultipart parts = (MimeMultipart) parsed.getContent();
        assertEquals(2, parts.getCount());
        BodyPart plain = parts.getBodyPart(0);
        BodyPart rich = parts.getBodyPart(1);
        assertEquals("text/plain; charset=UTF-8", plain.getContentType());
        assertEquals("quoted-printable", plain.getHeader("Content-Transfer-Encoding")[0]);
        assertEquals(text.replace("\n", "\r\n"), plain.getContent());
        assertEquals("text/html; charset=UTF-8", rich.getContentType());
        assertEquals("base64", rich.getHeader("Content-Transfer-Encoding")[0]);
        assertEquals(html, rich.getContent());
        assertEquals(1, Arrays.stream(parsed.getHeader("MIME-Version")).count());
    }

    @Test
    void oneBodyCarriesItsHeadersTheFixedIdAndTheAcceptTimeAsDate() throws Exception {
        OutboundMessage message = message(Optional.empty(), Optional.of("<p>Hello</p>"));
        MimeMessage parsed = written(message);
        assertEquals("text/html; charset=UTF-8", parsed.getContentType());
        assertEquals("7bit", parsed.getEncoding());
        assertEquals("<p>Hello</p>", parsed.getContent());
        assertEquals(message.messageIdHeader(), parsed.getMessageID());
        assertEquals("1.0", parsed.getHeader("MIME-Version")[0]);
        assertEquals("Wed, 2 Dec 2026 09:05:07 +0000", parsed.getHeader("Date")[0]);
        assertEquals(message.createdAt().getEpochSecond(), parsed.getSentDate().toInstant().getEpochSecond());
        assertEquals("Grüße", parsed.getSubject());
        assertEquals("1", parsed.getHeader("X-Priority")[0]);
        assertEquals("", written(message(Optional.empty(), Optional.empty())).getContent());
    }

    @Test
    void theDateIsRfc5322InUtcOnEveryDayOfTheWeekAndMonth() {
        DateTimeFormatter reference = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.US)
                .withZone(ZoneOffset.UTC);
        for (Instant at = Instant.parse("1999-12-31T23:59:59.999Z"); at.isBefore(Instant.parse("2040-01-01T00:00:00Z"));
             at = at.plusSeconds(86_400 * 3 + 3_671)) {
            assertEquals(reference.format(at), MailRenderer.date(at));
        }
    }

    private static MimeMessage written(OutboundMessage message) throws Exception {
        MimeMessage rendered = new MailRenderer(SESSION, null, null).render(message);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        rendered.writeTo(bytes);
        return new MimeMessage(SESSION, new ByteArrayInputStream(bytes.toByteArray()));
    }

    /** What follows the headers when {@code message} is written. */
    private static byte[] content(MimeMessage message) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        message.writeTo(bytes);
        byte[] all = bytes.toByteArray();
        for (int i = 0; i + 3 < all.length; i++) {
            if (all[i] == '\r' && all[i + 1] == '\n' && all[i + 2] == '\r' && all[i + 3] == '\n') {
                return Arrays.copyOfRange(all, i + 4, all.length);
            }
        }
        throw new AssertionError("no end of headers");
    }

    private static OutboundMessage message(Optional<String> text, Optional<String> html) {
        return new OutboundMessage(UUID.randomUUID(), UUID.randomUUID(), 1,
                                   EmailAddress.parseMailbox("Shop <shop@acme.example>"), Optional.empty(),
                                   List.of("anna@example.com"), List.of(), List.of(), "Grüße", text, html,
                                   Map.of("X-Priority", "1"), Instant.parse("2026-12-02T09:05:07.123Z"), Optional.empty(),
                                   Optional.empty(), 0, List.of(), false);
    }
}
