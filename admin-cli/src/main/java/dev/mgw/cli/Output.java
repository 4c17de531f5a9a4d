package dev.mgw.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Optional;

import jakarta.json.JsonStructure;
import jakarta.json.JsonWriter;
import jakarta.json.JsonWriterFactory;
import jakarta.json.stream.JsonGenerator;

import static dev.mgw.core.JsonP.JSON;

/** How commands print: UTC times for humans, pretty JSON for scripts. */
public final class Output {
    private static final DateTimeFormatter HUMAN_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm'Z'")
            .withZone(ZoneOffset.UTC);
    private static final JsonWriterFactory WRITERS = JSON.createWriterFactory(Map.of(JsonGenerator.PRETTY_PRINTING, true));

    private Output() {
    }

    public static String time(Instant instant) {
        return HUMAN_TIME.format(instant);
    }

    public static String time(Optional<Instant> instant, String absent) {
        return instant.map(Output::time).orElse(absent);
    }

    /** ISO-8601 UTC, or {@code null} (JSON null) when absent. */
    public static String iso(Optional<Instant> instant) {
        return instant.map(Instant::toString).orElse(null);
    }

    public static void json(PrintWriter out, JsonStructure value) {
        StringWriter text = new StringWriter();
        try (JsonWriter writer = WRITERS.createWriter(text)) {
            writer.write(value);
        }
        out.println(text.toString().strip());
        out.flush();
    }
}
