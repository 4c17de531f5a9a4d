package dev.mgw.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.mgw.core.config.JdbcTarget;

/**
 * pgbench running the gateway's accept transaction (the conditional quota upsert and the message
 * insert, one statement in one transaction) against the same PostgreSQL: the baseline. The SQL is the
 * gateway's, with literals where the gateway binds parameters: the key id is derived from a
 * random key number, the message id built time-ordered as the gateway's are, and the key-hash
 * check compares the column with itself, at the cost of comparing it with a parameter.
 */
final class Pgbench {
    private static final Pattern TPS = Pattern.compile("tps = ([0-9.]+) \\(without initial connection time\\)");
    /** pgbench's 64 connections can take seconds to open on a busy machine: no run is shorter (dry runs). */
    private static final long MIN_SECONDS = 5;
    private static final Pattern LATENCY = Pattern.compile("latency average = ([0-9.]+) ms");

    /**
     * The gateway's accept without an Idempotency-Key, statement for statement: the conditional
     * upsert and the message insert reading its row, as one statement in its own transaction.
     */
    private static final String SCRIPT = """
            \\set k random(1, %d)
            WITH charged AS (INSERT INTO daily_usage AS u (api_key_id, date, count) SELECT k.id, CAST((now() AT TIME ZONE 'UTC') AS date), 1 FROM api_keys k WHERE k.id = CAST(md5('%s' || :k) AS uuid) AND k.is_active AND k.key_hash = k.key_hash AND 1 <= k.daily_limit ON CONFLICT (api_key_id, date) DO UPDATE SET count = u.count + EXCLUDED.count WHERE u.count + EXCLUDED.count <= (SELECT daily_limit FROM api_keys WHERE id = u.api_key_id) RETURNING u.count AS used, (SELECT daily_limit FROM api_keys WHERE id = u.api_key_id) AS daily_limit), msg AS (INSERT INTO messages (id, api_key_id, sender, sender_name, reply_to, to_recipients, cc_recipients, bcc_recipients, subject, text_body, html_body, headers, tags, send_at, next_attempt_at, request_id, idempotency_key, request_hash) SELECT CAST(lpad(to_hex(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '7' || substr(md5(random()::text), 1, 19) AS uuid), CAST(md5('%s' || :k) AS uuid), 'bench@bench.example', NULL, NULL, '{user@example.com}', '{}', '{}', 'Benchmark', 'Hello from the benchmark', NULL, CAST('{}' AS jsonb), CAST('{}' AS jsonb), NULL, COALESCE(NULL, now()), 'pgbench', NULL, NULL FROM charged RETURNING id) SELECT msg.id, charged.used, charged.daily_limit FROM charged LEFT JOIN msg ON true;
            """;

    /**
     * SPEC §9's reference lifecycle, after the accept above: for every 10 messages (on average: one
     * transaction in 10, at random) one claim of up to 10 due messages as the gateway claims them
     * ({@code UPDATE … FOR UPDATE SKIP LOCKED … RETURNING} the message), and one status
     * {@code UPDATE} of the claimed ids that records them sent, each statement its own transaction.
     * Nothing is rendered or sent: the baseline is the database's share of a message's life.
     */
    private static final String LIFECYCLE = """
            \\set claim random(1, 10)
            \\if :claim = 1
            WITH claimed AS (UPDATE messages AS m SET status = 'sending', attempts = m.attempts + 1, locked_until = now() + make_interval(secs => 30), next_attempt_at = now() + make_interval(secs => 30), updated_at = now() WHERE m.id IN (SELECT id FROM messages WHERE status IN ('queued', 'sending') AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT 10 FOR UPDATE SKIP LOCKED) RETURNING m.id, m.api_key_id, m.attempts, m.sender, m.sender_name, m.reply_to, m.to_recipients, m.cc_recipients, m.bcc_recipients, m.subject, m.text_body, m.html_body, m.headers, m.created_at, m.request_id, m.last_error, m.attachment_count) SELECT COALESCE(string_agg(CAST(id AS text), ','), '') AS ids, count(*) AS claimed FROM claimed \\gset
            UPDATE messages SET status = 'sent', sent_at = now(), transport = 'smtp', last_error = NULL, locked_until = NULL, updated_at = now() WHERE id = ANY(CAST(string_to_array(:ids, ',') AS uuid[])) AND status = 'sending';
            \\endif
            """;

    record Run(double tps, double latencyMillis) {
    }

    /** {@code pgbench --version}'s number, for the report. */
    static String version() throws IOException, InterruptedException {
        Process process = new ProcessBuilder("pgbench", "--version").redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        process.waitFor();
        return output.replaceFirst("^.*?([0-9][0-9.]*).*$", "$1");
    }

    /** Runs the transaction over keys named {@code prefix + 1..keys} with this many clients, as fast as it can. */
    static Run run(JdbcTarget target, String keyPrefix, int keys, int clients, Duration duration, Path scratch)
            throws IOException, InterruptedException {
        return parse(pgbench(target, "pgbench-" + keyPrefix + keys, SCRIPT.formatted(keys, keyPrefix, keyPrefix), clients,
                             duration, scratch, List.of()));
    }

    /**
     * Runs the accept transaction followed, for every 10 messages, by the reference lifecycle's
     * claim and record ({@link #LIFECYCLE}); its rate is messages accepted per second, about as
     * many of which are claimed and recorded sent.
     */
    static Run lifecycle(JdbcTarget target, String keyPrefix, int keys, int clients, Duration duration, Path scratch)
            throws IOException, InterruptedException {
        return parse(pgbench(target, "pgbench-lifecycle-" + keyPrefix + keys,
                             SCRIPT.formatted(keys, keyPrefix, keyPrefix) + LIFECYCLE, clients, duration, scratch,
                             List.of()));
    }

    private static Run parse(String output) {
        Matcher tps = TPS.matcher(output);
        Matcher latency = LATENCY.matcher(output);
        if (!tps.find() || !latency.find()) {
            throw new IllegalStateException("pgbench printed no rate: " + output);
        }
        return new Run(Double.parseDouble(tps.group(1)), Double.parseDouble(latency.group(1)));
    }

    /** Latency percentiles in milliseconds at a fixed rate, as the gateway's open loop measures them. */
    record Latency(double p50, double p99) {
    }

    /**
     * Runs the transaction at a fixed rate ({@code -R}) and reads every transaction's latency from
     * pgbench's log, which counts from the time it was due, as the gateway's open-loop load does.
     */
    static Latency atRate(JdbcTarget target, String keyPrefix, int keys, int clients, double rate, Duration duration,
                          Path scratch) throws IOException, InterruptedException {
        Path logs = Files.createTempDirectory(scratch, "pgbench-log");
        pgbench(target, "pgbench-" + keyPrefix + keys, SCRIPT.formatted(keys, keyPrefix, keyPrefix), clients, duration,
                scratch, List.of("-R", String.valueOf(Math.round(rate)), "-l", "--log-prefix", logs.resolve("tx").toString()));
        List<Long> micros = new ArrayList<>();
        try (Stream<Path> files = Files.list(logs)) {
            for (Path file : files.toList()) {
                for (String line : Files.readAllLines(file)) {
                    // client_id transaction_no time script_no time_epoch time_us [schedule_lag]
                    micros.add(Long.parseLong(line.split(" ")[2]));
                }
            }
        }
        if (micros.isEmpty()) {
            throw new IllegalStateException("pgbench logged no transactions in " + logs);
        }
        Collections.sort(micros);
        return new Latency(micros.get((int) (micros.size() * 0.50)) / 1000.0,
                           micros.get(Math.min(micros.size() - 1, (int) (micros.size() * 0.99))) / 1000.0);
    }

    private static String pgbench(JdbcTarget target, String scriptName, String scriptText, int clients,
                                  Duration duration, Path scratch, List<String> extra)
            throws IOException, InterruptedException {
        Path script = scratch.resolve(scriptName + ".sql");
        Files.writeString(script, scriptText);
        String hostPort = target.jdbcUrl().replaceFirst("^jdbc:postgresql://([^/]+)/.*$", "$1");
        String database = target.jdbcUrl().replaceFirst("^jdbc:postgresql://[^/]+/([^?]+).*$", "$1");
        List<String> command = new ArrayList<>(List.of("pgbench", "-n", "-M", "prepared",
                                                       "-c", String.valueOf(clients), "-j", "2",
                                                       "-T", String.valueOf(Math.max(MIN_SECONDS, duration.toSeconds())),
                                                       "-f", script.toString(),
                                                       "-h", hostPort.substring(0, hostPort.lastIndexOf(':')),
                                                       "-p", hostPort.substring(hostPort.lastIndexOf(':') + 1),
                                                       "-U", target.user()));
        command.addAll(extra);
        command.add(database);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (!target.password().isEmpty()) {
            builder.environment().put("PGPASSWORD", target.password().reveal());
        }
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor(Math.max(MIN_SECONDS, duration.toSeconds()) + 60, TimeUnit.SECONDS);
        if (process.exitValue() != 0) {
            throw new IllegalStateException("pgbench failed: " + output);
        }
        return output;
    }
}
