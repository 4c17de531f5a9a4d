package dev.mgw.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import dev.mgw.core.testing.TestDatabase;

/**
 * The SMTP submission row of {@code make bench} (SPEC §9): messages per second over
 * {@value #CONNECTIONS} submission connections (STARTTLS with the self-signed certificate, AUTH
 * PLAIN with the key, then MAIL, RCPT and DATA pipelined for each message, a new connection after
 * the {@value #PER_CONNECTION} messages one may carry) against HTTP sends of the same message over
 * {@value #CONNECTIONS} connections, in alternating rounds on the same gateway.
 */
final class SubmissionBench {
    static final int CONNECTIONS = 16;
    private static final int PER_CONNECTION = 100;
    private static final int ROUNDS = 3;
    private static final Duration ROUND = Duration.ofSeconds(10);
    /**
     * Alternating warm-up rounds before the measured ones: 60 s in all, as every other phase's
     * gateway gets (with one round of each, the SMTP rate still rose by about a fifth from one
     * measured round to the next while the JIT compiled the submission path and the TLS handshake).
     */
    private static final int WARM_UP_ROUNDS = 3;
    private static final int UNLIMITED = 1_000_000_000;
    private static final String DATA = "From: bench@bench.example\r\nTo: user@example.com\r\nSubject: Benchmark\r\n"
                                       + "\r\nHello from the benchmark\r\n.\r\n";

    private SubmissionBench() {
    }

    /** Runs the rounds on a gateway of its own and adds the row to {@code report}. */
    static void run(TestDatabase db, SmtpSink sink, Report report, Path scratch) throws Exception {
        int smtpPort = Bench.freePort();
        Map<String, String> settings = Bench.settings(db, sink, Bench.freePort());
        settings.put("DELIVERY_WORKERS", "0");
        settings.put("SMTP_SUBMISSION_PORT", String.valueOf(smtpPort));
        Bench.phase(String.format(Locale.ROOT, "SMTP submission: %d connections against HTTP sends at c=%d, "
                                               + "%d alternating rounds of %d s each after %d of each to warm up",
                                  CONNECTIONS, CONNECTIONS, ROUNDS, ROUND.toSeconds(), WARM_UP_ROUNDS));
        try (GatewayProcess gateway = GatewayProcess.start(settings, scratch.resolve("gateway-submission.log"))) {
            List<String> keys = BenchKeys.create(db.target(), "submission-", CONNECTIONS, UNLIMITED);
            IntFunction<byte[]> sends = Bench.requests(keys);
            HttpLoad load = new HttpLoad("127.0.0.1", gateway.port());
            for (int round = 1; round <= WARM_UP_ROUNDS; round++) {
                load.closedLoop(CONNECTIONS, ROUND, sends);
                submit(smtpPort, keys, ROUND);
            }
            List<Double> http = new ArrayList<>();
            List<Double> smtp = new ArrayList<>();
            for (int round = 1; round <= ROUNDS; round++) {
                http.add(load.closedLoop(CONNECTIONS, ROUND, sends).rate(202));
                smtp.add(submit(smtpPort, keys, ROUND));
                System.out.printf(Locale.ROOT, "    round %d: HTTP %s messages; SMTP %s messages%n", round,
                                  Report.rate(http.getLast()), Report.rate(smtp.getLast()));
            }
            double httpMedian = median(http);
            double smtpMedian = median(smtp);
            double ratio = smtpMedian / httpMedian;
            report.row(String.format(Locale.ROOT, "messages/s over %d SMTP submission connections (STARTTLS, AUTH)",
                                     CONNECTIONS),
                       Report.rate(smtpMedian), "HTTP sends, c=" + CONNECTIONS + ", same gateway: " + Report.rate(httpMedian),
                       Report.ratio(ratio, 0.5) + "×", "≥ 0.5×", Report.yes(ratio >= 0.5));
        }
    }

    /** Messages per second accepted ({@code 250}) over {@link #CONNECTIONS} connections for {@code duration}. */
    private static double submit(int port, List<String> keys, Duration duration) throws Exception {
        long deadline = System.nanoTime() + duration.toNanos();
        long started = System.nanoTime();
        List<Future<Long>> counts = new ArrayList<>();
        try (ExecutorService clients = Executors.newFixedThreadPool(CONNECTIONS)) {
            for (int c = 0; c < CONNECTIONS; c++) {
                String key = keys.get(c % keys.size());
                counts.add(clients.submit(() -> {
                    long accepted = 0;
                    while (System.nanoTime() < deadline) {
                        try (Connection connection = new Connection(port, key)) {
                            for (int m = 0; m < PER_CONNECTION && System.nanoTime() < deadline; m++) {
                                accepted += connection.send() ? 1 : 0;
                            }
                        }
                    }
                    return accepted;
                }));
            }
            long total = 0;
            for (Future<Long> count : counts) {
                total += count.get();
            }
            return total / ((System.nanoTime() - started) / 1e9);
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(Double::compare);
        return sorted.get(sorted.size() / 2);
    }

    /** One submission connection: EHLO, STARTTLS, EHLO, AUTH PLAIN; then messages. */
    private static final class Connection implements AutoCloseable {
        private final Socket plain;
        private SSLSocket tls;
        private BufferedReader in;
        private OutputStream out;

        Connection(int port, String key) throws IOException, GeneralSecurityException {
            plain = new Socket();
            plain.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            plain.setSoTimeout(10_000);
            streams(plain);
            expect(reply(), "220");
            expect(command("EHLO bench.example"), "250");
            expect(command("STARTTLS"), "220");
            tls = (SSLSocket) trustAll().getSocketFactory().createSocket(plain, "127.0.0.1", port, true);
            tls.setUseClientMode(true);
            tls.startHandshake();
            streams(tls);
            expect(command("EHLO bench.example"), "250");
            String plainAuth = Base64.getEncoder().encodeToString(("\0apikey\0" + key).getBytes(StandardCharsets.UTF_8));
            expect(command("AUTH PLAIN " + plainAuth), "235");
        }

        /** One message, its commands pipelined: whether it was queued. */
        boolean send() throws IOException {
            write("MAIL FROM:<bench@bench.example>\r\nRCPT TO:<user@example.com>\r\nDATA\r\n");
            String mail = reply();
            String rcpt = reply();
            String data = reply();
            if (!data.startsWith("354")) {
                throw new IOException("MAIL " + mail + " / RCPT " + rcpt + " / DATA " + data);
            }
            write(DATA);
            return reply().startsWith("250");
        }

        private void streams(Socket socket) throws IOException {
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            out = socket.getOutputStream();
        }

        private String command(String line) throws IOException {
            write(line + "\r\n");
            return reply();
        }

        private void write(String text) throws IOException {
            out.write(text.getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        private String reply() throws IOException {
            String line = in.readLine();
            while (line != null && line.length() > 3 && line.charAt(3) == '-') {
                line = in.readLine();
            }
            if (line == null) {
                throw new IOException("the gateway closed the connection");
            }
            return line;
        }

        private static void expect(String reply, String code) throws IOException {
            if (!reply.startsWith(code)) {
                throw new IOException("expected " + code + ", got " + reply);
            }
        }

        @Override
        public void close() throws IOException {
            try {
                write("QUIT\r\n");
                reply();
            } catch (IOException ignored) {
                // closing either way
            }
            (tls != null ? tls : plain).close();
        }
    }

    /** The gateway's self-signed STARTTLS certificate, accepted as a client told to accept it would. */
    private static SSLContext trustAll() throws GeneralSecurityException {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        return context;
    }
}
