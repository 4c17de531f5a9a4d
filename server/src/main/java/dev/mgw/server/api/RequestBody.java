package dev.mgw.server.api;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import io.helidon.common.buffers.DataReader;
import io.helidon.http.BadRequestException;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpMediaType;
import io.helidon.http.RequestException;
import io.helidon.http.Status;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.ServerRequest;

import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParserFactory;

import static dev.mgw.core.JsonP.JSON;

/**
 * Reads a JSON request body within limits: {@code application/json} or 415 (a malformed
 * Content-Type is 400); a declared length over the limit is refused before a byte is read, a
 * streamed body as soon as it passes it (413); a body that does not arrive within
 * {@link BodyDeadline#LIMIT} is 408. The body must be one JSON object in valid UTF-8 and nothing
 * after it, without duplicate keys or nesting deeper than {@value #MAX_DEPTH}, else 400. A body
 * whose framing breaks (a bad chunk size, the end of the stream before the declared length) is
 * 400 and closes the connection; nothing of it is logged.
 */
public final class RequestBody {
    static final int MAX_DEPTH = 16;
    private static final JsonParserFactory PARSERS = JSON.createParserFactory(Map.of(
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
        return parse(utf8(bytes));
    }

    static void checkContentType(ServerRequest req) {
        Optional<String> raw = req.headers().first(HeaderNames.CONTENT_TYPE);
        if (raw.isPresent() && (raw.get().equalsIgnoreCase("application/json")
                                || raw.get().equalsIgnoreCase("application/json; charset=utf-8"))) {
            return;
        }
        HttpMediaType type;
        try {
            type = req.headers().contentType().orElseThrow(Problem::unsupportedMediaType);
        } catch (BadRequestException | IllegalArgumentException e) {
            throw Problem.badRequest("the Content-Type header is malformed");
        }
        boolean json = "application".equals(type.type()) && "json".equals(type.subtype());
        String charset = type.charset().map(c -> c.toLowerCase(Locale.ROOT)).orElse("utf-8");
        if (!json || !charset.equals("utf-8")) {
            throw Problem.unsupportedMediaType();
        }
    }

    /**
     * At most {@code maxBytes + 1} bytes of the body. The stream is not closed: closing reads on,
     * and what is left of the body is the request filter's to discard.
     */
    private static byte[] readAtMost(ServerRequest req, long maxBytes) {
        int limit = (int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1);
        byte[] bytes;
        try {
            bytes = BodyDeadline.within(() -> entity(req, maxBytes).readNBytes(limit));
        } catch (IOException e) {
            throw new CloseConnectionException("the request body could not be read", e);
        }
        if (bytes.length > maxBytes) {
            throw Problem.payloadTooLarge(maxBytes);
        }
        return bytes;
    }

    /**
     * The request's body as it arrives, its framing failures turned into what they mean for the
     * request: every reader of a body goes through this, so that a broken body is a 400 that
     * closes the connection, whoever parses it.
     */
    static InputStream entity(ServerRequest req, long maxBytes) {
        return new Entity(req.content().inputStream(), maxBytes);
    }

    /** Helidon's entity stream, failing with a problem (not a 500) when the body's framing breaks. */
    private static final class Entity extends FilterInputStream {
        private final long maxBytes;

        Entity(InputStream in, long maxBytes) {
            super(in);
            this.maxBytes = maxBytes;
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (RuntimeException e) {
                throw framing(e);
            }
        }

        @Override
        public int read(byte[] bytes, int offset, int length) throws IOException {
            try {
                return super.read(bytes, offset, length);
            } catch (RuntimeException e) {
                throw framing(e);
            }
        }

        private RuntimeException framing(RuntimeException e) {
            return switch (e) {
                case DataReader.InsufficientDataAvailableException ended ->
                        Problem.badRequest("the request body ended before its declared end").closingConnection();
                // Helidon's chunked decoding: a chunk size that is not a hexadecimal number (a NumberFormatException)
                case IllegalArgumentException badChunk ->
                        Problem.badRequest("the chunked request body is malformed").closingConnection();
                case DataReader.IncorrectNewLineException badChunk ->
                        Problem.badRequest("the chunked request body is malformed").closingConnection();
                case RequestException request -> (request.status().code() == Status.REQUEST_ENTITY_TOO_LARGE_413.code()
                        ? Problem.payloadTooLarge(maxBytes)
                        : Problem.badRequest("the chunked request body is malformed")).closingConnection();
                default -> e;
            };
        }
    }

    /** Decoded strictly: JSON over HTTP is UTF-8, and a byte that is not is a malformed body, not a U+FFFD. */
    private static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw Problem.badRequest("the body is not valid UTF-8");
        }
    }

    /** One JSON object and nothing after it (the parser checks that the text ends with the value). */
    private static JsonObject parse(String text) {
        JsonObject object = null;
        try (JsonParser parser = PARSERS.createParser(new StringReader(text))) {
            if (parser.next() == JsonParser.Event.START_OBJECT) {
                object = parser.getObject();
                if (parser.hasNext()) {
                    throw new JsonException("more after the JSON object");
                }
            }
        } catch (JsonException e) {
            throw Problem.badRequest("the body is not valid JSON: " + e.getMessage());
        } catch (RuntimeException e) {
            // Parsson reports some limits (nesting depth, duplicate keys) as plain runtime exceptions
            throw Problem.badRequest("the body cannot be read as JSON: " + e.getMessage());
        }
        if (object == null) {
            throw Problem.badRequest("the body must be a JSON object");
        }
        return object;
    }
}
