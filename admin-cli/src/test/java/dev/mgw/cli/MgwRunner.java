package dev.mgw.cli;

import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

import dev.mgw.core.testing.TestDatabase;

import jakarta.json.Json;
import jakarta.json.JsonReader;
import jakarta.json.JsonStructure;
import picocli.CommandLine;

/** Runs {@code mgw} in-process against a test database, capturing exit code, stdout and stderr. */
final class MgwRunner {
    private final Map<String, String> env;
    private final Clock clock;

    MgwRunner(TestDatabase db, Clock clock) {
        this.env = new HashMap<>(db.env());
        this.env.put("MGW_CONFIG", "");
        this.clock = clock;
    }

    MgwRunner(TestDatabase db) {
        this(db, Clock.systemUTC());
    }

    /** With these settings in its environment too. */
    MgwRunner(TestDatabase db, Map<String, String> settings) {
        this(db, Clock.systemUTC());
        this.env.putAll(settings);
    }

    Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        try (Mgw mgw = new Mgw(env, clock)) {
            CommandLine commandLine = mgw.commandLine();
            commandLine.setOut(new PrintWriter(out, true));
            commandLine.setErr(new PrintWriter(err, true));
            int exit = commandLine.execute(args);
            return new Result(exit, out.toString(), err.toString());
        }
    }

    record Result(int exit, String out, String err) {
        <T extends JsonStructure> T json() {
            try (JsonReader reader = Json.createReader(new StringReader(out))) {
                @SuppressWarnings("unchecked")
                T value = (T) reader.read();
                return value;
            }
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }
}
