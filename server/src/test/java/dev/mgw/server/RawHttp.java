package dev.mgw.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One connection to the gateway over a plain socket, for requests no HTTP client would send
 * (bad framing, HTTP/1.0, bodies that stall): writes bytes as given, reads one response.
 */
public final class RawHttp implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();

    private RawHttp(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
    }

    public static RawHttp open(URI uri) throws IOException {
        return new RawHttp(new Socket(uri.getHost(), uri.getPort()));
    }

    /** A response as it came over the wire; header names in lower case. */
    public record Response(int status, Map<String, String> headers, String body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        @Override
        public String toString() {
            return status + " " + headers + " " + body;
        }
    }

    public RawHttp send(byte[] bytes) throws IOException {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
        return this;
    }

    public RawHttp send(String text) throws IOException {
        return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Tells the server that nothing more is coming (a half close: the answer can still arrive). */
    public RawHttp shutdownOutput() throws IOException {
        socket.shutdownOutput();
        return this;
    }

    /**
     * The next response (framed by its Content-Length), or empty when the server closed the
     * connection without one; fails when neither happens within the timeout.
     */
    public Optional<Response> response(Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
        int headEnd;
        while ((headEnd = indexOf(received.toByteArray(), "\r\n\r\n")) < 0) {
            if (!readMore()) {
                if (received.size() > 0) {
                    throw new IOException("the connection closed inside a response head: " + received);
                }
                return Optional.empty();
            }
        }
        String head = new String(received.toByteArray(), 0, headEnd, StandardCharsets.ISO_8859_1);
        String[] lines = head.split("\r\n");
        if (!lines[0].matches("HTTP/1\\.[01] \\d{3}( .*)?")) {
            throw new IOException("not a status line: " + lines[0]);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        while (received.size() < headEnd + 4 + length) {
            if (!readMore()) {
                throw new IOException("the connection closed inside a response body: " + received);
            }
        }
        byte[] all = received.toByteArray();
        String body = new String(all, headEnd + 4, length, StandardCharsets.UTF_8);
        received.reset();
        received.write(all, headEnd + 4 + length, all.length - headEnd - 4 - length);
        return Optional.of(new Response(Integer.parseInt(lines[0].substring(9, 12)), headers, body));
    }

    /** Whether the server closes the connection (without sending anything more) within the timeout. */
    public boolean closedWithin(Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
        try {
            return !readMore() && received.size() == 0;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    private boolean readMore() throws IOException {
        byte[] buffer = new byte[8192];
        int read;
        try {
            read = in.read(buffer);
        } catch (SocketException reset) {
            // a reset after the server closed is a close too
            return false;
        }
        if (read < 0) {
            return false;
        }
        received.write(buffer, 0, read);
        return true;
    }

    private static int indexOf(byte[] bytes, String text) {
        byte[] needle = text.getBytes(StandardCharsets.ISO_8859_1);
        outer:
        for (int i = 0; i + needle.length <= bytes.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (bytes[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
