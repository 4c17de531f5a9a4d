package dev.mgw.server.api;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;

import io.helidon.common.buffers.DataReader;
import io.helidon.http.RequestException;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ConnectionReaderTest {
    @Test
    void chunkExtensionsAreDroppedFromTheChunkSize() {
        assertEquals("5", line("5"));
        assertEquals("5", line("5;name=value"));
        assertEquals("1a", line("1a ; a=\"x;\\\"y\" ;b\t;c = d"));
        assertEquals("0", line("0;last"));
    }

    @Test
    void otherLinesStayAsTheyAreForHelidonToRefuse() {
        assertEquals("", line(""));
        assertEquals("5;", line("5;"));
        assertEquals("5;a=", line("5;a="));
        assertEquals("5;a=\"open", line("5;a=\"open"));
        assertEquals("5 ", line("5 "));
        assertEquals("X-Trailer: 1", line("X-Trailer: 1"));
    }

    @Test
    void aLineLongerThan4KibIsRefused() {
        assertThrows(RequestException.class, () -> line("5" + ";a".repeat(2100)));
    }

    @Test
    void theRewrittenStartComesBeforeWhatTheSocketHas() {
        DataReader reader = new ConnectionReader(reader("Host: x\r\n"), "GET / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals("GET / HTTP/1.1", reader.readLine());
        assertEquals("Host: x", reader.readLine());
    }

    private static String line(String text) {
        return new ConnectionReader(reader(text + "\r\n"), new byte[0]).readLine();
    }

    /** A reader that has these bytes, then the end of the stream. */
    private static DataReader reader(String text) {
        AtomicBoolean given = new AtomicBoolean();
        return DataReader.create(() -> given.getAndSet(true) ? null : text.getBytes(StandardCharsets.US_ASCII));
    }
}
