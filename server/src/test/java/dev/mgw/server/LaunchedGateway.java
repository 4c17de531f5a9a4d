package dev.mgw.server;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The packaged gateway, {@code server/target/mail-gateway} (which {@code mvn package} makes before
 * the integration tests run), in a process of its own, started as on a fresh machine of this kind:
 * no {@code JAVA_HOME}, an older Java first on {@code PATH} when the machine has one, nothing else
 * in the environment but the given settings. Its stdout and stderr are kept apart.
 */
public final class LaunchedGateway implements AutoCloseable {
    public static final Path LAUNCHER = Path.of("target", "mail-gateway");
    private static final Path JVMS = Path.of("/usr/lib/jvm");

    private final Process process;
    private final URI uri;
    private final Path stdout;
    private final Path stderr;

    private LaunchedGateway(Process process, URI uri, Path stdout, Path stderr) {
        this.process = process;
        this.uri = uri;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /**
     * Starts the launcher with these settings (environment names; {@code SERVER_PORT} is chosen
     * here) in {@code dir}, where its output goes, and waits until {@code /health/ready} answers 200.
     */
    public static LaunchedGateway start(Map<String, String> settings, Path dir) throws IOException {
        int port = freePort();
        Path stdout = dir.resolve("stdout.log");
        Path stderr = dir.resolve("stderr.log");
        ProcessBuilder builder = new ProcessBuilder(LAUNCHER.toString())
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile());
        Map<String, String> env = builder.environment();
        env.clear();
        env.put("PATH", olderJava().map(home -> home.resolve("bin") + ":").orElse("") + "/usr/local/bin:/usr/bin:/bin");
        env.put("HOME", dir.toString());
        env.put("MGW_CONFIG", "");
        env.put("SERVER_HOST", "127.0.0.1");
        env.put("SERVER_PORT", String.valueOf(port));
        env.putAll(settings);
        LaunchedGateway gateway = new LaunchedGateway(builder.start(), URI.create("http://127.0.0.1:" + port), stdout, stderr);
        ApiClient client = new ApiClient(gateway.uri);
        try {
            Await.until("the launched gateway's /health/ready", Duration.ofSeconds(60), () -> {
                if (!gateway.process.isAlive()) {
                    fail("it exited with " + gateway.process.exitValue());
                }
                return gateway.ready(client);
            });
        } catch (AssertionError e) {
            gateway.process.destroyForcibly();
            throw new AssertionError(e.getMessage() + "\n--- stdout\n" + gateway.stdout() + "--- stderr\n" + gateway.stderr(), e);
        }
        return gateway;
    }

    /** A JDK or JRE older than 25 under /usr/lib/jvm (the machine's default java here is 17), if there is one. */
    public static Optional<Path> olderJava() throws IOException {
        if (!Files.isDirectory(JVMS)) {
            return Optional.empty();
        }
        try (Stream<Path> homes = Files.list(JVMS)) {
            return homes.filter(home -> Files.isExecutable(home.resolve("bin/java")))
                    .filter(home -> major(home) < 25)
                    .findFirst();
        }
    }

    public URI uri() {
        return uri;
    }

    public long pid() {
        return process.pid();
    }

    /** The command line of the JVM (the launcher execs it), while it runs. */
    public List<String> commandLine() throws IOException {
        String cmdline = Files.readString(Path.of("/proc", String.valueOf(process.pid()), "cmdline"), StandardCharsets.UTF_8);
        return List.of(cmdline.split("\0"));
    }

    public String stdout() {
        return read(stdout);
    }

    public String stderr() {
        return read(stderr);
    }

    /** SIGTERM, as systemd and Docker stop it; returns the exit code. */
    public int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("the gateway did not stop within 30 s of SIGTERM");
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            stop();
        }
    }

    private boolean ready(ApiClient client) {
        try {
            return client.get("/health/ready", null).status() == 200;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    private static int major(Path home) {
        try {
            Map<String, String> release = new HashMap<>();
            for (String line : Files.readAllLines(home.resolve("release"))) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    release.put(line.substring(0, eq), line.substring(eq + 1).replace("\"", ""));
                }
            }
            return Integer.parseInt(release.getOrDefault("JAVA_VERSION", "0").split("[.]")[0]);
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
