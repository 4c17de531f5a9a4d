package dev.mgw.server.observe;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * One line per record: a JSON object ({@code timestamp} in UTC with milliseconds, {@code level},
 * {@code logger}, {@code message}, the thread's {@link LogContext} fields, {@code error}) or,
 * with {@code LOG_JSON=false}, the same as readable text. Every string passes {@link Masking}.
 */
public final class LogFormatter extends Formatter {
    private static final DateTimeFormatter SECOND = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.")
            .withZone(ZoneOffset.UTC);
    /** The formatted second of the last line: lines come many to a second, formatting dates is not free. */
    private static volatile CachedSecond lastSecond = new CachedSecond(Long.MIN_VALUE, "");

    private final boolean json;

    public LogFormatter(boolean json) {
        this.json = json;
    }

    @Override
    public String format(LogRecord record) {
        String message = Masking.mask(formatMessage(record));
        String error = record.getThrown() == null ? null : Masking.mask(describe(record.getThrown()));
        String stack = record.getThrown() == null ? null : Masking.mask(stackTrace(record.getThrown()));
        Map<String, Object> context = LogContext.fields();
        String timestamp = timestamp(record.getMillis());
        String level = level(record.getLevel());
        if (!json) {
            StringBuilder line = new StringBuilder(128)
                    .append(timestamp).append(' ').append(String.format("%-5s", level)).append(' ')
                    .append(record.getLoggerName()).append(" - ").append(message);
            context.forEach((k, v) -> line.append(' ').append(k).append('=').append(Masking.mask(v.toString())));
            if (error != null) {
                line.append(" error=\"").append(error).append('"').append(System.lineSeparator()).append(stack);
            }
            return line.append(System.lineSeparator()).toString();
        }
        StringBuilder line = new StringBuilder(256).append('{');
        field(line, "timestamp", timestamp);
        field(line, "level", level);
        field(line, "logger", record.getLoggerName());
        field(line, "message", message);
        context.forEach((k, v) -> {
            if (v instanceof Number number) {
                line.append('"').append(k).append("\":").append(number).append(',');
            } else {
                field(line, k, Masking.mask(v.toString()));
            }
        });
        if (error != null) {
            field(line, "error", error);
            field(line, "stack_trace", stack);
        }
        line.setLength(line.length() - 1);
        return line.append('}').append('\n').toString();
    }

    /** {@code 2026-11-24T18:20:01.413Z}. */
    static String timestamp(long epochMillis) {
        long second = Math.floorDiv(epochMillis, 1000);
        CachedSecond cached = lastSecond;
        if (cached.epochSecond() != second) {
            cached = new CachedSecond(second, SECOND.format(Instant.ofEpochSecond(second)));
            lastSecond = cached;
        }
        int millis = (int) Math.floorMod(epochMillis, 1000);
        return cached.text() + (char) ('0' + millis / 100) + (char) ('0' + millis / 10 % 10) + (char) ('0' + millis % 10) + 'Z';
    }

    private record CachedSecond(long epochSecond, String text) {
    }

    static String level(Level level) {
        int value = level.intValue();
        if (value >= Level.SEVERE.intValue()) {
            return "ERROR";
        }
        if (value >= Level.WARNING.intValue()) {
            return "WARN";
        }
        if (value >= Level.INFO.intValue()) {
            return "INFO";
        }
        if (value >= Level.FINE.intValue()) {
            return "DEBUG";
        }
        return "TRACE";
    }

    private static String describe(Throwable thrown) {
        return thrown.getClass().getName() + (thrown.getMessage() == null ? "" : ": " + thrown.getMessage());
    }

    private static String stackTrace(Throwable thrown) {
        StringWriter out = new StringWriter();
        thrown.printStackTrace(new PrintWriter(out));
        return out.toString().stripTrailing();
    }

    private static void field(StringBuilder line, String name, String value) {
        line.append('"').append(name).append("\":");
        if (value == null) {
            line.append("null,");
            return;
        }
        line.append('"');
        escape(line, value);
        line.append("\",");
    }

    static void escape(StringBuilder out, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
    }
}
