package dev.mgw.server.packaging;

import java.io.StringReader;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import dev.mgw.core.Version;
import dev.mgw.core.testing.TestDatabase;
import dev.mgw.server.ApiClient;
import dev.mgw.server.LaunchedGateway;
import dev.mgw.server.observe.PrometheusText;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code server/target/mail-gateway}, the launcher operators run, from start to SIGTERM on a
 * machine whose default {@code java} is older than 25 and without {@code JAVA_HOME}; with a relay
 * that needs AUTH, a database URL with a password and the submission port set, so that the first
 * log line has everything to name and every password to leave out.
 */
class LauncherIT {
    private static final String DATABASE_PASSWORD = "db-pw-Kx31vQ";
    private static final String SMTP_PASSWORD = "relay-pw-Qm77zR";
    private static final String JAVA_OPTS = "-Xmx96m";
    @TempDir
    static Path dir;
    private static TestDatabase db;
    private static Map<String, String> settings;
    private static List<String> commandLine;
    private static PrometheusText metrics;
    private static String stdout;
    private static String stderr;
    private static int exit;
    private static int port;
    private static int submissionPort;

    @BeforeAll
    static void launchAndStop() throws Exception {
        db = TestDatabase.empty(LauncherIT.class);
        try (ServerSocket free = new ServerSocket(0)) {
            submissionPort = free.getLocalPort();
        }
        settings = Map.of("DATABASE_URL", db.url().replace("postgres@", "postgres:" + DATABASE_PASSWORD + "@"),
                          "SMTP_HOST", "127.0.0.1",
                          "SMTP_PORT", "2525",
                          "SMTP_USERNAME", "relay-user",
                          "SMTP_PASSWORD", SMTP_PASSWORD,
                          "SMTP_FROM_ADDRESS", "noreply@acme.example",
                          "SMTP_SUBMISSION_PORT", String.valueOf(submissionPort),
                          "CACHE_DIRECTORY", Files.createDirectories(dir.resolve("cache")).toString(),
                          "JAVA_OPTS", JAVA_OPTS);
        try (LaunchedGateway gateway = LaunchedGateway.start(settings, dir)) {
            port = gateway.uri().getPort();
            commandLine = gateway.commandLine();
            metrics = PrometheusText.parse(new ApiClient(gateway.uri()).get("/metrics", null).body());
            exit = gateway.stop();
            stdout = gateway.stdout();
            stderr = gateway.stderr();
        }
    }

    @AfterAll
    static void drop() {
        db.close();
    }

    @Test
    void findsAJava25ThoughAnOlderJavaComesFirstOnPathAndJavaHomeIsUnset() throws Exception {
        Path java = Path.of(commandLine.getFirst());
        LaunchedGateway.olderJava().ifPresent(older -> assertFalse(java.startsWith(older), java.toString()));
        String release = Files.readString(java.getParent().getParent().resolve("release"));
        int major = Integer.parseInt(release.replaceAll("(?s).*JAVA_VERSION=\"(\\d+).*", "$1"));
        assertTrue(major >= 25, java + " is Java " + major);
    }

    @Test
    void runsTheJarWithTheProductionOptionsAndJavaOptsLast() {
        int jar = commandLine.indexOf("-jar");
        for (String option : List.of("-Xmx128m", "-XX:MarkStackSize=64k", "-XX:+ExitOnOutOfMemoryError",
                                     "-XX:AOTCacheOutput=" + cache())) {
            assertTrue(commandLine.indexOf(option) >= 0 && commandLine.indexOf(option) < commandLine.indexOf(JAVA_OPTS),
                       option + " before JAVA_OPTS in " + commandLine);
        }
        assertEquals(jar - 1, commandLine.indexOf(JAVA_OPTS), "JAVA_OPTS last, so it overrides: " + commandLine);
        assertTrue(commandLine.get(jar + 1).endsWith("target/mail-gateway.jar"), commandLine::toString);
        double heapMax = metrics.value("jvm_memory_max_bytes", Map.of("id", "G1 Old Gen"));
        assertTrue(heapMax > 0 && heapMax <= 96 * 1024 * 1024, "JAVA_OPTS=-Xmx96m won: " + heapMax);
    }

    /**
     * The ahead-of-time cache this first run in an empty cache directory trains: named for its
     * {@code JAVA_OPTS}, in {@code CACHE_DIRECTORY}.
     */
    private static String cache() {
        String option = commandLine.stream().filter(o -> o.startsWith("-XX:AOTCacheOutput=")).findFirst()
                .orElseThrow(() -> new AssertionError("no -XX:AOTCacheOutput in " + commandLine));
        String cache = option.substring(option.indexOf('=') + 1);
        assertTrue(cache.matches(Pattern.quote(settings.get("CACHE_DIRECTORY")) + "/mail-gateway-\\d+\\.aot"), cache);
        return cache;
    }

    @Test
    void theFirstLogLineNamesTheConfigurationTheDatabaseTheRelayAndTheListeners() {
        JsonObject first = Json.createReader(new StringReader(stdout.lines().findFirst().orElseThrow())).readObject();
        assertEquals("dev.mgw.server.Main", first.getString("logger"));
        assertEquals("mail-gateway " + Version.get() + " starting: configuration file none; database "
                     + db.url().replace("postgres@", "postgres:****@")
                     + "; relay 127.0.0.1:2525 (STARTTLS required, with AUTH); listeners HTTP 127.0.0.1:"
                     + port + ", SMTP submission 127.0.0.1:" + submissionPort,
                     first.getString("message"));
    }

    @Test
    void noPasswordReachesTheOutput() {
        for (String password : List.of(DATABASE_PASSWORD, SMTP_PASSWORD)) {
            assertFalse(stdout.contains(password), "stdout holds " + password);
            assertFalse(stderr.contains(password), "stderr holds " + password);
        }
    }

    @Test
    void stdoutIsNothingButJsonLinesFromStartToSigterm() {
        List<String> lines = stdout.lines().toList();
        for (String line : lines) {
            try {
                Json.createReader(new StringReader(line)).readObject();
            } catch (RuntimeException e) {
                throw new AssertionError("not a JSON line on stdout: " + line + "\n--- stderr\n" + stderr, e);
            }
        }
        assertTrue(lines.getLast().contains("\"message\":\"stopped\""), lines.getLast());
        assertEquals(143, exit, "stopped by SIGTERM");
        assertTrue(Files.exists(Path.of(cache())),
                   "this first run trained the ahead-of-time cache, written on exit, and its messages stayed off stdout");
    }
}
