package dev.mgw.server.api;

import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.helidon.common.buffers.DataReader;
import io.helidon.http.DirectHandler;
import io.helidon.http.RequestException;

/**
 * What a connection reads its requests from: the bytes Helidon read from the socket, after a
 * replacement for what was already taken of them (the rewritten request line of an HTTP/1.0
 * request). Helidon's HTTP/1 connection reads two kinds of lines with {@link #readLine()}: chunk
 * sizes, and the empty line after the last chunk. Here a chunk-size line may carry chunk
 * extensions (RFC 9112 §7.1.1), which a recipient must ignore and Helidon 4.5 fails on, and a
 * line is at most {@value #MAX_LINE} bytes (Helidon would buffer an endless one).
 */
final class ConnectionReader extends DataReader {
    private static final int MAX_LINE = 4096;
    private static final String TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
    private static final String QUOTED = "\"(?:[\\t \\x21\\x23-\\x5B\\x5D-\\x7E\\x80-\\xFF]|\\\\[\\t \\x21-\\x7E\\x80-\\xFF])*\"";
    /** chunk-size [ chunk-ext ]: the size, then any number of ;name or ;name=value (token or quoted string). */
    private static final Pattern CHUNK_SIZE_LINE = Pattern.compile(
            "([0-9A-Fa-f]+)(?:[ \\t]*;[ \\t]*" + TOKEN + "(?:[ \\t]*=[ \\t]*(?:" + TOKEN + "|" + QUOTED + "))?)*");

    @SuppressWarnings("removal") // DataReader.create cannot make a subclass
    ConnectionReader(DataReader socket, byte[] first) {
        super(new Bytes(socket, first));
    }

    /** A chunk-size line without its extensions; any other line as it is. */
    @Override
    public String readLine() {
        int end = findNewLine(MAX_LINE);
        if (end == MAX_LINE) {
            throw RequestException.builder()
                    .type(DirectHandler.EventType.BAD_REQUEST)
                    .message("a line of the chunked body is longer than " + MAX_LINE + " bytes")
                    .build();
        }
        String line = readAsciiString(end);
        skip(2);
        Matcher chunkSize = CHUNK_SIZE_LINE.matcher(line);
        return chunkSize.matches() ? chunkSize.group(1) : line;
    }

    /** {@code first} (when not empty), then what the socket's reader has or reads next; null at its end. */
    private static final class Bytes implements Supplier<byte[]> {
        private final DataReader socket;
        private byte[] first;

        Bytes(DataReader socket, byte[] first) {
            this.socket = socket;
            this.first = first.length == 0 ? null : first;
        }

        @Override
        public byte[] get() {
            if (first != null) {
                byte[] bytes = first;
                first = null;
                return bytes;
            }
            try {
                socket.ensureAvailable();
            } catch (DataReader.InsufficientDataAvailableException e) {
                return null;
            }
            return socket.readBytes(socket.available());
        }
    }
}
