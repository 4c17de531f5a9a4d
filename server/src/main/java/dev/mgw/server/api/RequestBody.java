package dev.mgw.server.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import io.helidon.http.HeaderNames;
import io.helidon.http.HttpMediaType;
import io.helidon.webserver.http.ServerRequest;

import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonReaderFactory;
import jakarta.json.JsonStructure;

import static dev.mgw.core.JsonP.JSON;

/**
 * Reads a JSON request body within limits: {@code application/json} or 415; a declared length
 * over the limit is refused before a byte is read, a streamed body as soon as it passes it (413);
 * malformed JSON, duplicate keys or nesting deeper than {@value #MAX_DEPTH} are 400.
 */
public final class RequestBody {
    static final int MAX_DEPTH = 16;
    private static final JsonReaderFactory READERS = JSON.createReaderFactory(Map.of(
            "org.eclipse.parsson.maxDepth", MAX_DEPTH,
            "org.eclipse.parsson.rejectDuplicateKeys", true));

    private RequestBody() {
    }

    public static JsonObject readJsonObject(ServerRequest req, long maxBytes) {
        checkContentType(req);
        OptionalLong declared = req.headers().contentLength();
        if (declared.isPresent() && declared.getAsLong() > maxBytes) {
            throw Problem.payloadTooLarge(maxBytes);
        }
        byte[] bytes = readAtMost(req, maxBytes);
        if (bytes.length == 0) {
            throw Problem.badRequest("the request body is empty; send a JSON object");
        }
        JsonStructure json;
        // decoded here: a reader on bytes would first sniff the encoding, which JSON over HTTP fixes as UTF-8
        try (JsonReader reader = READERS.createReader(new StringReader(new String(bytes, StandardCharsets.UTF_8)))) {
            json = reader.read();
        } catch (JsonException e) {
            throw Problem.badRequest("the body is not valid JSON: " + e.getMessage());
        } catch (RuntimeException e) {
            // Parsson reports some limits (nesting depth) as plain runtime exceptions
            throw Problem.badRequest("the body cannot be read as JSON: " + e.getMessage());
        }
        if (!(json instanceof JsonObject object)) {
            throw Problem.badRequest("the body must be a JSON object");
        }
        return object;
    }

    static void checkContentType(ServerRequest req) {
        Optional<String> raw = req.headers().first(HeaderNames.CONTENT_TYPE);
        if (raw.isPresent() && (raw.get().equalsIgnoreCase("application/json")
                                || raw.get().equalsIgnoreCase("application/json; charset=utf-8"))) {
            return;
        }
        HttpMediaType type = req.headers().contentType().orElseThrow(Problem::unsupportedMediaType);
        boolean json = "application".equals(type.type()) && "json".equals(type.subtype());
        String charset = type.charset().map(c -> c.toLowerCase(Locale.ROOT)).orElse("utf-8");
        if (!json || !charset.equals("utf-8")) {
            throw Problem.unsupportedMediaType();
        }
    }

    private static byte[] readAtMost(ServerRequest req, long maxBytes) {
        try (InputStream in = req.content().inputStream()) {
            byte[] bytes = BodyDeadline.within(() -> in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1)));
            if (bytes.length > maxBytes) {
                throw Problem.payloadTooLarge(maxBytes);
            }
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
