package dev.mgw.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.mgw.core.testing.TestDatabase;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The packaged {@code admin-cli/target/mgw}, run as operators run it. */
class MgwExecutableIT {
    private static final Path MGW = Path.of("target", "mgw");
    private static TestDatabase db;

    @BeforeAll
    static void database() {
        db = TestDatabase.migrated(MgwExecutableIT.class);
    }

    @AfterAll
    static void drop() {
        db.close();
    }

    @Test
    void theExecutableRunsTheDocumentedCommands() throws Exception {
        assertTrue(Files.isExecutable(MGW), "mvn package leaves an executable admin-cli/target/mgw");

        Run version = run("--version");
        assertEquals(0, version.exit, version::toString);
        assertTrue(version.out.startsWith("mgw "), version::toString);

        Run create = run("keys", "create", "--name", "prod", "--limit", "100");
        assertEquals(0, create.exit, create::toString);
        assertTrue(create.out.matches("(?s).*key:\\s+mgw_[0-9A-Za-z]{40}\n.*"), create::toString);

        Run usage = run("usage", "--date", "today");
        assertEquals(0, usage.exit, usage::toString);
        assertTrue(usage.out.contains("prod"), usage::toString);
        assertTrue(usage.out.lines().anyMatch(l -> l.startsWith("TOTAL")), usage::toString);

        Run list = run("keys", "list", "--json");
        assertEquals(0, list.exit, list::toString);
        JsonArray keys = Json.createReader(new java.io.StringReader(list.out)).readArray();
        assertEquals("prod", keys.getJsonObject(0).getString("name"));
        assertEquals("", list.err, "nothing on stderr: " + list.err);
    }

    @Test
    void unreachableDatabaseIsOneLineOnStderr() throws Exception {
        Run run = run("--database-url", "postgresql://postgres@127.0.0.1:1/nowhere", "keys", "list");
        assertEquals(1, run.exit, run::toString);
        assertEquals(1, run.err.lines().count(), run::toString);
        assertTrue(run.err.startsWith("mgw: database postgresql://postgres@127.0.0.1:1/nowhere is unavailable"), run::toString);
    }

    @Test
    void usageErrorExitsTwo() throws Exception {
        assertEquals(2, run("keys", "create").exit);
    }

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(MGW.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().put("DATABASE_URL", db.url());
        builder.environment().put("MGW_CONFIG", "");
        Process process = builder.start();
        process.getOutputStream().close();
        byte[] out = process.getInputStream().readAllBytes();
        byte[] err = process.getErrorStream().readAllBytes();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        return new Run(process.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }
}
