package dev.mgw.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The gateway as operators run it: its launcher, {@code server/target/mail-gateway} (which execs the
 * JVM, so the process is the JVM), with the production JVM options and whatever {@code JAVA_OPTS}
 * adds, in its own process.
 */
final class GatewayProcess implements AutoCloseable {
    static final Path LAUNCHER = Path.of("server", "target", "mail-gateway");

    private final Process process;
    private final int port;
    private final double readySeconds;

    private GatewayProcess(Process process, int port, double readySeconds) {
        this.process = process;
        this.port = port;
        this.readySeconds = readySeconds;
    }

    /**
     * Starts the gateway with these settings (environment names) and waits until /health/ready
     * answers 200. Its stdout goes to {@code log}, its stderr beside it ({@code log}{@code .stderr}).
     */
    static GatewayProcess start(Map<String, String> settings, Path log) throws IOException, InterruptedException {
        int port = Integer.parseInt(settings.get("SERVER_PORT"));
        ProcessBuilder builder = new ProcessBuilder(LAUNCHER.toString())
                .redirectOutput(log.toFile())
                .redirectError(log.resolveSibling(log.getFileName() + ".stderr").toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("SMTP_") || name.startsWith("DATABASE_")
                                                        || name.startsWith("DELIVERY_") || name.equals("MGW_CONFIG"));
        builder.environment().put("MGW_CONFIG", "");
        builder.environment().putAll(settings);
        long started = System.nanoTime();
        Process process = builder.start();
        while (!ready(port)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the gateway exited with " + process.exitValue() + "; see " + log);
            }
            if (System.nanoTime() - started > Duration.ofSeconds(60).toNanos()) {
                process.destroyForcibly();
                throw new IllegalStateException("the gateway did not get ready within 60 s; see " + log);
            }
            Thread.sleep(5);
        }
        return new GatewayProcess(process, port, (System.nanoTime() - started) / 1e9);
    }

    /**
     * The first run after an install: starts the gateway and stops it once ready. It is the
     * training run of the launcher's ahead-of-time cache (unless this build has one already), which
     * the JVM writes when it stops and a run ended by kill -9 never writes, so that the gateways
     * measured after it start as restarted ones do. Seconds from starting it to ready.
     */
    static double firstRun(Map<String, String> settings, Path log) throws IOException, InterruptedException {
        try (GatewayProcess gateway = start(settings, log)) {
            return gateway.readySeconds();
        }
    }

    /** How the gateway was started, for the reports. */
    static String commandLine() {
        String options = System.getenv().getOrDefault("JAVA_OPTS", "");
        return "`" + (options.isBlank() ? "" : "JAVA_OPTS='" + options + "' ") + LAUNCHER + "`";
    }

    /** The lines of a gateway's stdout log that are not a JSON object (SPEC §8: there are none). */
    static List<String> nonJsonLines(Path log) throws IOException {
        return Files.readAllLines(log).stream().filter(line -> !(line.startsWith("{") && line.endsWith("}"))).toList();
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    /** Seconds from starting the process to the first 200 from /health/ready. */
    double readySeconds() {
        return readySeconds;
    }

    /** Resident set size of the process, in bytes. */
    long residentBytes() throws IOException {
        long kb = status("VmRSS");
        return kb < 0 ? -1 : kb * 1024;
    }

    /** Its resident memory in MB, in all and of it anonymous (heap, stacks, malloc) and file-backed (jars, caches). */
    String memory() throws IOException {
        return String.format(Locale.ROOT, "VmRSS %d MB, RssAnon %d MB, RssFile %d MB", status("VmRSS") >> 10,
                             status("RssAnon") >> 10, status("RssFile") >> 10);
    }

    /** A figure of {@code /proc/<pid>/status}, in kB; -1 when it has none. */
    private long status(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    /** CPU time the process has used so far (user and system), in seconds. */
    double cpuSeconds() throws IOException {
        long[] ticks = Cpu.ticks(Path.of("/proc", String.valueOf(process.pid()), "stat"));
        return (ticks[0] + ticks[1]) / 100.0;
    }

    /**
     * The value of a metric with one series from GET /metrics ({@code name 1.0} or, with Helidon's
     * scope label, {@code name{scope="application",} 1.0}). Right after an overload the gateway may
     * still be working off its queue: a few tries, a few seconds apart.
     */
    long metric(String name) throws IOException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try (HttpLoad.Client client = new HttpLoad.Client("127.0.0.1", port)) {
                String text = client.exchange("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
                                                      .getBytes(StandardCharsets.US_ASCII)).body();
                for (String line : text.split("\n")) {
                    if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                        return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                    }
                }
                throw new IllegalStateException("no metric " + name + " at /metrics");
            } catch (IOException e) {
                if (attempt == 3) {
                    throw e;
                }
                Thread.sleep(3000);
            }
        }
    }

    /** SIGKILL: no shutdown of any kind. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM, and wait for the orderly stop. */
    void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            stop();
        }
    }

    /** Whether GET /health/ready answers 200 now. */
    static boolean ready(int port) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(2000);
            OutputStream out = socket.getOutputStream();
            out.write("GET /health/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] head = in.readNBytes(12);
            return new String(head, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200");
        } catch (IOException e) {
            return false;
        }
    }
}
