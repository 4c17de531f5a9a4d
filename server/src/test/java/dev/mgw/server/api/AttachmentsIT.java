package dev.mgw.server.api;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
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
import static dev.mgw.server.api.Checks.attachment;
import static dev.mgw.server.api.Checks.bytes;
import static dev.mgw.server.api.Checks.json;
import static dev.mgw.server.api.Checks.onlyError;
import static dev.mgw.server.api.Checks.valid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The attachments rules of SPEC §5.2 at /api/v1/send, their storage, listing and idempotency. */
class AttachmentsIT extends GatewayServerTest {
    private static final int MAX_ATTACHMENT_BYTES = 4096;
    private static String key;
    private final ApiClient api;

    AttachmentsIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        start(builder, AttachmentsIT.class, Map.of("MAX_ATTACHMENT_BYTES", String.valueOf(MAX_ATTACHMENT_BYTES),
                                                   "MAX_REQUEST_SIZE", "65536"));
    }

    @BeforeAll
    static void keys() {
        key = gw.key("attachments", 1_000_000);
    }

    // --- accepted, stored, listed

    @Test
    void attachmentsAreStoredWithTheMessageAndListedWithoutTheirBytes() throws Exception {
        byte[] pdf = bytes(1, 1500);
        byte[] logo = bytes(2, 700);
        ApiClient.Response sent = send(valid().add("html_body", "<img src=\"cid:logo@acme\">")
                                               .add("attachments", Json.createArrayBuilder()
                                                       .add(attachment("report.pdf", pdf))
                                                       .add(attachment("logo.png", logo)
                                                                    .add("content_type", "image/png")
                                                                    .add("content_id", "logo@acme"))));
        assertAccepted(sent);
        String id = sent.json().getString("id");

        assertEquals(2, gw.db().queryLong("SELECT attachment_count FROM messages WHERE id = '" + id + "'"));
        assertEquals(md5(pdf), gw.db().queryString(
                "SELECT md5(content) FROM message_attachments WHERE message_id = '" + id + "' AND position = 0"));
        assertEquals(md5(logo), gw.db().queryString(
                "SELECT md5(content) FROM message_attachments WHERE message_id = '" + id + "' AND position = 1"));

        ApiClient.Response read = api.get("/api/v1/messages/" + id, key);
        assertEquals(200, read.status(), read::toString);
        assertEquals(Json.createArrayBuilder()
                             .add(Json.createObjectBuilder().add("filename", "report.pdf")
                                          .add("content_type", "application/pdf").add("size", 1500))
                             .add(Json.createObjectBuilder().add("filename", "logo.png")
                                          .add("content_type", "image/png").add("size", 700).add("content_id", "logo@acme"))
                             .build(),
                     read.json().getJsonArray("attachments"));
        assertFalse(read.body().contains(Base64.getEncoder().encodeToString(pdf).substring(0, 40)), "never the bytes");
    }

    @Test
    void aMessageWithoutAttachmentsListsNone() {
        ApiClient.Response sent = send(valid());
        assertAccepted(sent);
        ApiClient.Response read = api.get("/api/v1/messages/" + sent.json().getString("id"), key);
        assertEquals(0, read.json().getJsonArray("attachments").size(), read::toString);
    }

    @Test
    void theContentTypeDefaultsToTheFileNamesElseOctetStream() {
        assertEquals(List.of("application/pdf", "text/csv", "application/octet-stream", "application/octet-stream"),
                     storedTypes(send(valid().add("attachments", Json.createArrayBuilder()
                             .add(attachment("Report.PDF", bytes(3, 10)))
                             .add(attachment("data.csv", bytes(4, 10)))
                             .add(attachment("blob.unknownext", bytes(5, 10)))
                             .add(attachment("mail.mime", bytes(6, 10)))))));
    }

    @Test
    void validMimeTypesWithParametersAreKept() {
        assertEquals(List.of("text/csv; charset=utf-8", "application/x-thing; name=\"a b.c\""),
                     storedTypes(send(valid().add("attachments", Json.createArrayBuilder()
                             .add(attachment("a.csv", bytes(7, 10)).add("content_type", "text/csv; charset=utf-8"))
                             .add(attachment("a.bin", bytes(8, 10)).add("content_type", "application/x-thing; name=\"a b.c\""))))));
    }

    @Test
    void mimeStyleLineBreaksBetweenGroupsOfFourAreIgnored() {
        byte[] content = bytes(9, 200);
        String wrapped = Base64.getMimeEncoder(76, "\r\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(content);
        ApiClient.Response sent = send(valid().add("attachments", Json.createArrayBuilder().add(
                Json.createObjectBuilder().add("filename", "a.bin").add("content", wrapped))));
        assertAccepted(sent);
        assertEquals(md5(content), gw.db().queryString("SELECT md5(content) FROM message_attachments WHERE message_id = '"
                                                       + sent.json().getString("id") + "'"));
    }

    // --- 422: one rule each

    @Test
    void atMostTwentyAttachments() {
        JsonArrayBuilder many = Json.createArrayBuilder();
        for (int i = 0; i < 21; i++) {
            many.add(attachment("f" + i + ".txt", bytes(i, 1)));
        }
        assertInvalid(send(valid().add("attachments", many)), "attachments");
        assertInvalid(send(valid().add("attachments", "report.pdf")), "attachments");
        assertInvalid(send(valid().add("attachments", Json.createArrayBuilder().add("report.pdf"))), "attachments[0]");
    }

    @Test
    void contentIsStandardBase64OfAtLeastOneByte() {
        String urlSafe = onlyError(assertInvalid(sendContent("-_-_"), "attachments[0].content"));
        assertTrue(urlSafe.contains("URL-safe"), urlSafe);
        assertInvalid(sendContent("QQ"), "attachments[0].content");
        assertInvalid(sendContent("QQ="), "attachments[0].content");
        assertInvalid(sendContent("QQ==="), "attachments[0].content");
        assertInvalid(sendContent("Q==="), "attachments[0].content");
        assertInvalid(sendContent("QU*D"), "attachments[0].content");
        assertInvalid(sendContent("QUJ D"), "attachments[0].content");
        assertInvalid(sendContent(""), "attachments[0].content");
        assertInvalid(send(valid().add("attachments", Json.createArrayBuilder().add(
                Json.createObjectBuilder().add("filename", "a.txt").add("content", 12)))), "attachments[0].content");
        assertInvalid(send(valid().add("attachments", Json.createArrayBuilder().add(
                Json.createObjectBuilder().add("filename", "a.txt")))), "attachments[0].content");
        assertAccepted(sendContent("QQ=="));
        assertAccepted(sendContent("QUJD"));
    }

    @Test
    void fileNamesAreOneTo255CharactersWithoutPathsOrControlCharacters() {
        assertInvalid(sendFile(""), "attachments[0].filename");
        assertInvalid(sendFile("n".repeat(252) + ".txt"), "attachments[0].filename");
        assertInvalid(sendFile("reports/q1.pdf"), "attachments[0].filename");
        assertInvalid(sendFile("reports\\q1.pdf"), "attachments[0].filename");
        assertInvalid(sendFile("q1.pdf\r\nContent-Type: text/html"), "attachments[0].filename");
        assertInvalid(sendFile("q1\u0000.pdf"), "attachments[0].filename");
        assertInvalid(send(valid().add("attachments", Json.createArrayBuilder().add(
                Json.createObjectBuilder().add("content", "QUJD")))), "attachments[0].filename");
        assertAccepted(sendFile("n".repeat(251) + ".txt"));
        assertAccepted(sendFile("Übersicht 2026 (final).pdf"));
    }

    @Test
    void blockedExtensionsAreRefusedWhateverTheirCaseAndDots() {
        for (String name : List.of("setup.exe", "SETUP.EXE", "invoice.pdf.exe", "invoice.pdf.Exe", "evil.exe.",
                                   "evil.exe . ", "script.js", ".bat")) {
            String message = onlyError(assertInvalid(sendFile(name), "attachments[0].filename"));
            assertTrue(message.contains("BLOCKED_ATTACHMENT_EXTENSIONS"), message);
        }
        assertAccepted(sendFile("exe"));
        assertAccepted(sendFile("notes.exe.txt"));
        assertAccepted(sendFile("archive.jsx"));
    }

    @Test
    void contentTypesMustBeValidAndNotComposite() {
        for (String type : List.of("pdf", "application/", "text/plain; charset", "a b/c", "text/plain\r\nX: y",
                                   "multipart/mixed", "message/rfc822", "text/plain; name=\"\u00e9\"")) {
            assertInvalid(send(valid().add("attachments", Json.createArrayBuilder().add(
                    attachment("a.txt", bytes(10, 5)).add("content_type", type)))), "attachments[0].content_type");
        }
    }

    @Test
    void contentIdsMakeInlineAttachmentsWhichNeedAnHtmlBody() {
        assertInvalid(send(valid().add("attachments", Json.createArrayBuilder().add(
                attachment("logo.png", bytes(11, 5)).add("content_id", "logo")))), "attachments[0].content_id");
        assertInvalid(withHtml(attachment("logo.png", bytes(11, 5)).add("content_id", "logo image")),
                      "attachments[0].content_id");
        assertInvalid(withHtml(attachment("logo.png", bytes(11, 5)).add("content_id", "l".repeat(101))),
                      "attachments[0].content_id");
        assertInvalid(withHtml(attachment("a.png", bytes(11, 5)).add("content_id", "logo"),
                               attachment("b.png", bytes(12, 5)).add("content_id", "logo")),
                      "attachments[1].content_id");
        assertAccepted(withHtml(attachment("logo.png", bytes(11, 5)).add("content_id", "Logo_1.2@acme-mail")));
    }

    private ApiClient.Response withHtml(JsonObjectBuilder... attachments) {
        JsonArrayBuilder array = Json.createArrayBuilder();
        for (JsonObjectBuilder attachment : attachments) {
            array.add(attachment);
        }
        return send(valid().add("html_body", "<img src=\"cid:logo\">").add("attachments", array));
    }

    @Test
    void unknownAttachmentFieldsAreRefused() {
        assertInvalid(send(valid().add("attachments", Json.createArrayBuilder().add(
                attachment("a.txt", bytes(13, 5)).add("size", 5).add("disposition", "inline")))),
                      "attachments[0].disposition", "attachments[0].size");
    }

    @Test
    void theDecodedTotalIsAtMostMaxAttachmentBytes() {
        String message = onlyError(assertInvalid(send(valid().add("attachments", Json.createArrayBuilder()
                .add(attachment("a.bin", bytes(14, MAX_ATTACHMENT_BYTES / 2)))
                .add(attachment("b.bin", bytes(15, MAX_ATTACHMENT_BYTES / 2 + 1))))), "attachments"));
        assertTrue(message.contains("MAX_ATTACHMENT_BYTES") && message.contains(String.valueOf(MAX_ATTACHMENT_BYTES)),
                   message);
        assertAccepted(send(valid().add("attachments", Json.createArrayBuilder()
                .add(attachment("a.bin", bytes(14, MAX_ATTACHMENT_BYTES / 2)))
                .add(attachment("b.bin", bytes(15, MAX_ATTACHMENT_BYTES / 2))))));
    }

    @Test
    void everyOffendingAttachmentFieldIsListedAndNothingIsStoredOrCharged() {
        String refusing = gw.key("refused-attachments", 10);
        assertInvalid(api.send(refusing, json(valid().add("attachments", Json.createArrayBuilder()
                              .add(Json.createObjectBuilder().add("filename", "a/b").add("content", "QUJD"))
                              .add(attachment("run.exe", bytes(16, 3)).add("content_type", "nope"))))),
                      "attachments[0].filename", "attachments[1].filename", "attachments[1].content_type");
        assertEquals(0, gw.stored("refused-attachments"));
        assertEquals(0, gw.charged("refused-attachments"));
    }

    @Test
    void aBodyOverMaxRequestSizeIs413NamingTheSetting() {
        JsonObject problem = assertProblem(send(valid().add("attachments", Json.createArrayBuilder().add(
                attachment("big.bin", bytes(17, 60_000))))), 413, "payload-too-large");
        assertTrue(problem.getString("detail").contains("MAX_REQUEST_SIZE"), problem::toString);
    }

    // --- idempotency covers the attachments

    @Test
    void theIdempotencyHashCoversTheAttachmentBytes() {
        String idempotent = gw.key("idempotent-attachments", 100);
        byte[] content = bytes(18, 300);
        String body = json(valid().add("attachments", Json.createArrayBuilder().add(attachment("a.bin", content))));
        ApiClient.Response first = api.send(idempotent, body, "Idempotency-Key", "with-attachment");
        assertAccepted(first);
        String wrapped = Base64.getMimeEncoder(76, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(content);
        ApiClient.Response sameBytes = api.send(idempotent, json(valid().add("attachments", Json.createArrayBuilder().add(
                Json.createObjectBuilder().add("filename", "a.bin").add("content", wrapped)))),
                                                "Idempotency-Key", "with-attachment");
        assertEquals("true", sameBytes.header("Idempotent-Replayed"), sameBytes::toString);
        assertEquals(first.body(), sameBytes.body());
        byte[] other = content.clone();
        other[299]++;
        assertProblem(api.send(idempotent, json(valid().add("attachments", Json.createArrayBuilder().add(
                              attachment("a.bin", other)))), "Idempotency-Key", "with-attachment"),
                      422, "idempotency-key-reused");
        assertEquals(1, gw.stored("idempotent-attachments"));
        assertEquals(1, gw.db().queryLong("SELECT count(*) FROM message_attachments a JOIN messages m ON m.id = a.message_id "
                                          + "JOIN api_keys k ON k.id = m.api_key_id WHERE k.name = 'idempotent-attachments'"));
    }

    private ApiClient.Response send(JsonObjectBuilder body) {
        return api.send(key, json(body));
    }

    private ApiClient.Response sendContent(String base64) {
        return send(valid().add("attachments", Json.createArrayBuilder().add(
                Json.createObjectBuilder().add("filename", "a.txt").add("content", base64))));
    }

    private ApiClient.Response sendFile(String filename) {
        return send(valid().add("attachments", Json.createArrayBuilder().add(attachment(filename, bytes(19, 3)))));
    }

    private static List<String> storedTypes(ApiClient.Response response) {
        assertAccepted(response);
        return gw.db().query("SELECT content_type FROM message_attachments WHERE message_id = '"
                             + response.json().getString("id") + "' ORDER BY position", rs -> {
            List<String> types = new java.util.ArrayList<>();
            while (rs.next()) {
                types.add(rs.getString(1));
            }
            return types;
        });
    }


    private static String md5(byte[] bytes) throws RuntimeException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
