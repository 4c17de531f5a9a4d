package dev.mgw.server.observe;

import java.io.StringReader;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogFormatterTest {
    @AfterEach
    void clear() {
        LogContext.clear();
    }

    @Test
    void jsonLineCarriesTheContextAndTheError() {
        LogContext.put("request_id", "req-1");
        LogContext.put("status", 202);
        LogRecord record = new LogRecord(Level.WARNING, "quote \" and newline\n and key mgw_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789ABCD");
        record.setLoggerName("dev.mgw.test");
        record.setMillis(1_795_564_800_123L);
        record.setThrown(new IllegalStateException("boom"));
        String line = new LogFormatter(true).format(record);
        assertTrue(line.endsWith("\n") && line.indexOf('\n') == line.length() - 1, "one line");
        JsonObject json = Json.createReader(new StringReader(line)).readObject();
        assertEquals("2026-11-25T00:00:00.123Z", json.getString("timestamp"));
        assertEquals("WARN", json.getString("level"));
        assertEquals("dev.mgw.test", json.getString("logger"));
        assertEquals("quote \" and newline\n and key mgw_AbCdEfGh…", json.getString("message"));
        assertEquals("req-1", json.getString("request_id"));
        assertEquals(202, json.getInt("status"));
        assertEquals("java.lang.IllegalStateException: boom", json.getString("error"));
        assertTrue(json.getString("stack_trace").contains("LogFormatterTest"));
    }

    @Test
    void readableLineWhenJsonIsOff() {
        LogContext.put("request_id", "req-2");
        LogRecord record = new LogRecord(Level.INFO, "request");
        record.setLoggerName("dev.mgw.access");
        record.setMillis(1_795_564_800_000L);
        String line = new LogFormatter(false).format(record);
        assertEquals("2026-11-25T00:00:00.000Z INFO  dev.mgw.access - request request_id=req-2" + System.lineSeparator(), line);
        assertFalse(line.startsWith("{"));
    }
}
