package dev.mgw.server.api;

import java.io.IOException;
import java.io.InputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalLong;

import dev.mgw.core.Hashes;
import dev.mgw.core.messages.AttachmentBytes;

import com.fasterxml.jackson.core.Base64Variant;
import com.fasterxml.jackson.core.Base64Variants;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.ServerRequest;

import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;

import static dev.mgw.core.JsonP.JSON;

/**
 * Reads the JSON body of {@code /send} and {@code /send/batch} as it streams in, into the JSON-P
 * tree the parsers check, with jackson-core's streaming parser: JSON-P's holds every string whole
 * (a 10 MiB attachment as 14 MB of base64 text, and again as a String), jackson-core decodes a
 * base64 string from its input buffer. Attachment contents ({@code attachments[i].content}, also
 * inside {@code messages[j]}) are decoded on the way straight into {@link AttachmentBytes} and
 * stand in the tree as {@link Base64Content}: the body is never held as bytes or text.
 *
 * <p>Every byte is covered by the request's {@link BodyBudget} reservation before the parser
 * gets it, weighed at what it costs once parsed: {@value #TEXT_WEIGHT} for text and structure
 * (the parser's character buffers, the string, its UTF-8 copy for the database), 1 inside an
 * attachment's content (decoded, three quarters of its size). A declared length is covered
 * before anything is read, so a request that cannot get room is answered before its body is sent.
 *
 * <p>Refusals as {@link RequestBody}'s (415, 413, 400); content that is not standard base64
 * (RFC 4648 alphabet, padded) is a 422 naming its field, and ends the reading.
 */
final class SendBody {
    static final int TEXT_WEIGHT = 4;
    /** The standard alphabet with padding required; whitespace between groups of four is skipped. */
    private static final Base64Variant BASE64 = Base64Variants.MIME_NO_LINEFEEDS;
    private static final JsonFactory PARSERS = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            // field names are the client's: not into the JVM's string table
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .streamReadConstraints(StreamReadConstraints.builder()
                                           .maxNestingDepth(RequestBody.MAX_DEPTH)
                                           .maxStringLength(Integer.MAX_VALUE)
                                           .build())
            .build();

    private final MeteredStream in;

    private SendBody(MeteredStream in) {
        this.in = in;
    }

    /** The body as a JSON object, its attachment contents decoded; the reservation keeps covering them. */
    static JsonObject read(ServerRequest req, long maxBytes, BodyBudget.Reservation reservation) {
        RequestBody.checkContentType(req);
        OptionalLong declared = req.headers().contentLength();
        if (declared.isPresent() && declared.getAsLong() > maxBytes) {
            throw Problem.payloadTooLarge(maxBytes);
        }
        declared.ifPresent(reservation::cover);
        try (InputStream body = RequestBody.entity(req, maxBytes)) {
            SendBody reader = new SendBody(new MeteredStream(body, maxBytes, reservation));
            return BodyDeadline.within(reader::document);
        } catch (IOException e) {
            throw new CloseConnectionException("the request body could not be read", e);
        }
    }

    private JsonObject document() throws IOException {
        try (JsonParser parser = PARSERS.createParser(in)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                throw Problem.badRequest("the request body is empty; send a JSON object");
            }
            if (first != JsonToken.START_OBJECT) {
                throw Problem.badRequest("the body must be a JSON object");
            }
            JsonObject body = object(parser, Place.ROOT, "");
            if (parser.nextToken() != null) {
                throw Problem.badRequest("the body goes on after its JSON object");
            }
            return body;
        } catch (StreamConstraintsException e) {
            throw Problem.badRequest("the body cannot be read as JSON: " + e.getOriginalMessage()
                    .replaceAll(" \\(from `StreamReadConstraints[^)]*\\)", ""));
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
            throw Problem.badRequest("the body is not valid JSON: " + e.getOriginalMessage()
                    .replaceAll("\\[Source: [^;]*; ", "[") + where);
        }
    }

    private JsonObject object(JsonParser parser, Place place, String path) throws IOException {
        JsonObjectBuilder object = JSON.createObjectBuilder();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonToken token = parser.nextToken();
            if (place == Place.ATTACHMENT && name.equals("content") && token == JsonToken.VALUE_STRING) {
                object.add(name, content(parser, path + ".content"));
            } else {
                Place inner = place.field(name);
                object.add(name, value(parser, token, inner, inner == Place.OTHER ? null : path(path, name)));
            }
        }
        return object.build();
    }

    private JsonValue value(JsonParser parser, JsonToken token, Place place, String path) throws IOException {
        return switch (token) {
            case START_OBJECT -> object(parser, place, path);
            case START_ARRAY -> {
                JsonArrayBuilder array = JSON.createArrayBuilder();
                Place element = place.element();
                int index = 0;
                for (JsonToken next = parser.nextToken(); next != JsonToken.END_ARRAY; next = parser.nextToken()) {
                    array.add(value(parser, next, element, element == Place.OTHER ? null : path + "[" + index + "]"));
                    index++;
                }
                yield array.build();
            }
            case VALUE_STRING -> JSON.createValue(parser.getText());
            case VALUE_NUMBER_INT -> JSON.createValue(parser.getBigIntegerValue());
            case VALUE_NUMBER_FLOAT -> JSON.createValue(parser.getDecimalValue());
            case VALUE_TRUE -> JsonValue.TRUE;
            case VALUE_FALSE -> JsonValue.FALSE;
            case VALUE_NULL -> JsonValue.NULL;
            default -> throw new IllegalStateException("unexpected JSON token " + token);
        };
    }

    /** Decodes an attachment's content as it streams by, weighing its bytes at what they cost decoded. */
    private Base64Content content(JsonParser parser, String field) throws IOException {
        AttachmentBytes bytes = new AttachmentBytes();
        MessageDigest sha256 = Hashes.sha256();
        in.weight(1);
        try {
            parser.readBinaryValue(BASE64, new DigestOutputStream(bytes, sha256));
        } catch (IllegalArgumentException e) {
            String hint = e.getMessage().contains("'-'") || e.getMessage().contains("'_'")
                    ? " (the URL-safe alphabet is not accepted: use + and /)" : "";
            throw notBase64(field, e.getMessage() + hint);
        } catch (JsonParseException e) {
            if (BASE64.missingPaddingMessage().equals(e.getOriginalMessage())) {
                throw notBase64(field, "its padding ('=') is missing at the end");
            }
            throw e;
        } finally {
            in.weight(TEXT_WEIGHT);
        }
        return new Base64Content(bytes, HexFormat.of().formatHex(sha256.digest()));
    }

    private static Problem notBase64(String field, String why) {
        return Problem.validation(List.of(new Problem.FieldError(field, "is not standard base64 (RFC 4648): " + why)));
    }

    private static String path(String parent, String name) {
        return parent.isEmpty() ? name : parent + "." + name;
    }

    /** Where in a send or batch body a value is: only attachment contents are read differently. */
    private enum Place {
        ROOT, MESSAGE_LIST, MESSAGE, ATTACHMENT_LIST, ATTACHMENT, OTHER;

        Place field(String name) {
            return switch (this) {
                case ROOT -> switch (name) {
                    case "attachments" -> ATTACHMENT_LIST;
                    case "messages" -> MESSAGE_LIST;
                    default -> OTHER;
                };
                case MESSAGE -> name.equals("attachments") ? ATTACHMENT_LIST : OTHER;
                default -> OTHER;
            };
        }

        Place element() {
            return switch (this) {
                case MESSAGE_LIST -> MESSAGE;
                case ATTACHMENT_LIST -> ATTACHMENT;
                default -> OTHER;
            };
        }
    }

    /** The body as it arrives: at most {@code maxBytes}, each byte covered at the current weight before it is handed on. */
    private static final class MeteredStream extends InputStream {
        private final InputStream in;
        private final long maxBytes;
        private final BodyBudget.Reservation reservation;
        private long read;
        private long weighed;
        private int weight = TEXT_WEIGHT;

        MeteredStream(InputStream in, long maxBytes, BodyBudget.Reservation reservation) {
            this.in = in;
            this.maxBytes = maxBytes;
            this.reservation = reservation;
        }

        void weight(int weight) {
            this.weight = weight;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                arrived(1);
            }
            return b;
        }

        @Override
        public int read(byte[] bytes, int offset, int length) throws IOException {
            int n = in.read(bytes, offset, length);
            if (n > 0) {
                arrived(n);
            }
            return n;
        }

        private void arrived(int n) {
            read += n;
            if (read > maxBytes) {
                throw Problem.payloadTooLarge(maxBytes);
            }
            weighed += (long) n * weight;
            reservation.cover(weighed);
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
