package dev.mgw.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

import dev.mgw.core.testing.TcpProxy;
import dev.mgw.core.testing.TestDatabase;

/**
 * {@code make drill}: the promise of SPEC §1 ("accepted means committed", nothing lost) under
 * the faults a production gateway meets, counted. Each drill runs the gateway as operators run
 * it ({@code java -jar}) against a fresh database on the local PostgreSQL and a loopback SMTP
 * sink, with load from this process, and ends by draining and counting what reached the sink.
 */
public final class Drill {
    private static final String DOMAIN = "bench.example";
    private static final int KILLS = 20;
    private static final Duration RELAY_DOWN = Duration.ofSeconds(60);
    private static final Duration DATABASE_DOWN = Duration.ofSeconds(10);
    private static final int TWO_GATEWAYS_LIMIT = 5_000;
    private static final int TWO_GATEWAYS_REQUESTS = 7_000;
    private static final int UNLIMITED = 1_000_000_000;

    private final TestDatabase db;
    private final SmtpSink sink;
    private final Path scratch;
    private final Report report = new Report("Results", "drill", "what happened (counts)", "promise", "kept");

    private Drill(TestDatabase db, SmtpSink sink, Path scratch) {
        this.db = db;
        this.sink = sink;
        this.scratch = scratch;
    }

    public static void main(String[] args) throws Exception {
        Path scratch = Files.createDirectories(Path.of("bench", "target", "drill"));
        try (TestDatabase db = TestDatabase.migrated(Drill.class); SmtpSink sink = new SmtpSink()) {
            new Drill(db, sink, scratch).run(args.length == 0 ? Set.of("kill", "relay", "database", "two") : Set.of(args));
        }
        System.exit(0);
    }

    /** Runs the drills named (kill, relay, database, two): all of them from {@code make drill}. */
    private void run(Set<String> drills) throws Exception {
        Bench.phase("the first start, stopped once ready");
        double ready = GatewayProcess.firstRun(settings(Bench.freePort()), scratch.resolve("first.log"));
        report.note(String.format(Locale.ROOT, "Before the drills, a first start and stop, as after an install: "
                                               + "ready in %.2f s (the training run of the launcher's "
                                               + "ahead-of-time cache, unless this build had one).", ready));
        if (drills.contains("kill")) {
            killDrill();
        }
        if (drills.contains("relay")) {
            relayDrill();
        }
        if (drills.contains("database")) {
            databaseDrill();
        }
        if (drills.contains("two")) {
            twoGatewaysDrill();
        }
        report.note("Absolute times are this machine's (" + Runtime.getRuntime().availableProcessors()
                    + " cores shared by the gateway, PostgreSQL, the sink and the clients).");
        Path file = report.write("drill", "Gateway: " + GatewayProcess.commandLine() + " against a fresh database and a "
                                          + "loopback SMTP sink; clients are blocking keep-alive connections from `bench`.");
        System.out.println();
        System.out.println(report.markdown());
        System.out.println("written to " + file);
    }

    /** kill -9 under load, {@value #KILLS} times, restarting on the same port; then drain and count. */
    private void killDrill() throws Exception {
        Bench.phase("kill -9 under load, " + KILLS + " times (8 clients; default settings)");
        String key = key("kill", UNLIMITED);
        Map<String, String> settings = settings(Bench.freePort());
        int port = Integer.parseInt(settings.get("SERVER_PORT"));
        Random random = new Random(42);
        List<Long> kills = new ArrayList<>();
        List<Double> restarts = new ArrayList<>();
        Senders senders;
        GatewayProcess gateway = GatewayProcess.start(settings, scratch.resolve("kill-0.log"));
        try {
            senders = Senders.start(key, 8, () -> port, Duration.ZERO);
            for (int kill = 1; kill <= KILLS; kill++) {
                Thread.sleep(2000 + random.nextInt(2000));
                gateway.kill();
                kills.add(System.nanoTime()); // once it is dead: a message can reach the sink up to then
                gateway = GatewayProcess.start(settings, scratch.resolve("kill-" + kill + ".log"));
                restarts.add(gateway.readySeconds());
            }
            Thread.sleep(2000);
            senders.close();
            awaitDelivered("kill");
        } finally {
            gateway.close();
        }

        Set<String> accepted = senders.accepted();
        long charged = db.queryLong("SELECT sum(count) FROM daily_usage WHERE api_key_id = " + keyId("kill"));
        List<String> ids = ids("kill");
        long stored = ids.size();
        long lost = undelivered(accepted);
        long lostStored = undelivered(ids);
        int duplicates = 0;
        int explained = 0;
        long longestInFlight = 0;
        for (String id : ids) {
            List<Long> times = sink.arrivals(messageId(id));
            for (int i = 1; i < times.size(); i++) {
                duplicates++;
                long first = times.get(i - 1);
                long again = times.get(i);
                // in flight at a kill: the first kill after it reached the sink came before it did again
                long killAfter = kills.stream().filter(kill -> kill >= first).mapToLong(Long::longValue).min()
                        .orElse(Long.MAX_VALUE);
                if (killAfter < again) {
                    explained++;
                    longestInFlight = Math.max(longestInFlight, killAfter - first);
                } else {
                    System.out.printf(Locale.ROOT, "    %s arrived twice without a kill between: %.3f s apart%n", id,
                                      (again - first) / 1e9);
                }
            }
        }
        System.out.printf(Locale.ROOT, "    %,d accepted, %,d stored, %,d charged, %d lost, %d duplicates (%d at a kill)%n",
                          accepted.size(), stored, charged, lost, duplicates, explained);
        restarts.sort(null);
        report.row("kill -9 under load, " + KILLS + " times, restarted each time",
                   String.format(Locale.ROOT, "%,d × 202; %,d requests cut off by a kill, of which %,d had committed "
                                              + "(stored without a 202); %,d stored, %,d charged, %,d delivered; lost %d "
                                              + "(of the stored: %d); duplicates %d, %d of them in flight at a kill "
                                              + "(reached the sink ≤ %d ms before it); restart to ready: median %.2f s, "
                                              + "max %.2f s",
                                 accepted.size(), senders.unanswered(), stored - accepted.size(), stored, charged,
                                 ids.size() - lostStored, lost, lostStored, duplicates, explained,
                                 longestInFlight / 1_000_000, restarts.get(restarts.size() / 2), restarts.getLast()),
                   "every 202 delivered; duplicates only from messages in flight at a kill; charged = stored",
                   Report.yes(lost == 0 && lostStored == 0 && duplicates == explained && charged == stored
                              && stored >= accepted.size()));
    }

    /** The relay refuses connections for {@link #RELAY_DOWN} under load; then drain and count. */
    private void relayDrill() throws Exception {
        Bench.phase("the relay down for " + RELAY_DOWN.toSeconds() + " s under load (2 clients, 10 ms apart; "
                    + "DELIVERY_BACKOFF_SECONDS=5)");
        String key = key("relay", UNLIMITED);
        Map<String, String> settings = settings(Bench.freePort());
        settings.put("DELIVERY_BACKOFF_SECONDS", "5");
        long backAt;
        Senders senders;
        try (GatewayProcess gateway = GatewayProcess.start(settings, scratch.resolve("relay.log"))) {
            senders = Senders.start(key, 2, gateway::port, Duration.ofMillis(10));
            Thread.sleep(5000);
            sink.goDown();
            Thread.sleep(RELAY_DOWN);
            sink.comeBack();
            backAt = System.nanoTime();
            Thread.sleep(5000);
            senders.close();
            awaitDelivered("relay");
        }
        double drained = (System.nanoTime() - backAt) / 1e9;
        Set<String> accepted = senders.accepted();
        long lost = undelivered(accepted);
        long failed = db.queryLong("SELECT count(*) FROM messages WHERE status = 'failed' AND api_key_id = " + keyId("relay"));
        long retried = db.queryLong("SELECT count(*) FROM messages WHERE attempts > 1 AND api_key_id = " + keyId("relay"));
        long mostAttempts = db.queryLong("SELECT max(attempts) FROM messages WHERE api_key_id = " + keyId("relay"));
        report.row("the relay down for " + RELAY_DOWN.toSeconds() + " s under load",
                   String.format(Locale.ROOT, "%,d × 202 (%s); %,d needed more than one attempt (up to %d); "
                                              + "failed %d; lost %d; all delivered %.1f s after the relay returned",
                                 accepted.size(), senders.statuses(), retried, mostAttempts, failed, lost, drained),
                   "everything delivered after it returns", Report.yes(lost == 0 && failed == 0 && retried > 0));
    }

    /** The database unreachable for {@link #DATABASE_DOWN}, refused and then silent, through a TCP proxy. */
    private void databaseDrill() throws Exception {
        Bench.phase("the database unreachable for " + DATABASE_DOWN.toSeconds() + " s, refused and then silent "
                    + "(8 clients, through a TCP proxy)");
        String key = key("database", UNLIMITED);
        try (TcpProxy proxy = db.proxy()) {
            Map<String, String> settings = settings(Bench.freePort());
            settings.put("DATABASE_URL", db.urlThrough(proxy));
            Senders senders;
            List<String> rows = new ArrayList<>();
            boolean kept = true;
            try (GatewayProcess gateway = GatewayProcess.start(settings, scratch.resolve("database.log"))) {
                long pid = gateway.pid();
                senders = Senders.start(key, 8, gateway::port, Duration.ZERO);
                Thread.sleep(3000);
                for (String how : List.of("refused", "silent")) {
                    Map<Integer, Long> before = senders.statuses();
                    long timeoutsBefore = senders.timeouts() + senders.unanswered();
                    senders.slowestMillisThenReset();
                    if (how.equals("refused")) {
                        proxy.cut();
                    } else {
                        proxy.stall();
                    }
                    Thread.sleep(DATABASE_DOWN);
                    Map<Integer, Long> during = Senders.since(before, senders.statuses());
                    double slowest = senders.slowestMillisThenReset();
                    long acceptedBefore = senders.count(202);
                    proxy.restore();
                    long restored = System.nanoTime();
                    while (senders.count(202) == acceptedBefore) {
                        Thread.sleep(1);
                        if (System.nanoTime() - restored > Duration.ofSeconds(60).toNanos()) {
                            throw new IllegalStateException("no 202 within 60 s of the database's return");
                        }
                    }
                    double recovery = (System.nanoTime() - restored) / 1e9;
                    Thread.sleep(3000);
                    long noAnswer = senders.timeouts() + senders.unanswered() - timeoutsBefore;
                    boolean onlyAcceptedOr503 = during.keySet().stream().allMatch(s -> s == 202 || s == 503);
                    kept &= onlyAcceptedOr503 && noAnswer == 0 && during.getOrDefault(503, 0L) > 0 && slowest <= 2000;
                    rows.add(String.format(Locale.ROOT, "%s: during %s, slowest answer %.0f ms, no answer %d; first "
                                                        + "202 %.2f s after it returned", how, during, slowest,
                                           noAnswer, recovery));
                }
                kept &= gateway.pid() == pid;
                senders.close();
                awaitDelivered("database");
            }
            long lost = undelivered(senders.accepted());
            Map<Integer, Long> all = senders.statuses();
            boolean no5xx = all.keySet().stream().noneMatch(s -> s >= 500 && s != 503);
            report.row("the database unreachable for " + DATABASE_DOWN.toSeconds() + " s, twice",
                       String.join("; ", rows) + String.format(Locale.ROOT, "; whole run %s, same process "
                                                                          + "throughout; lost %d", all, lost),
                       "503 within 2 s while it is gone, no other 5xx, no time-outs, recovery without a restart",
                       Report.yes(kept && no5xx && lost == 0));
        }
    }

    /** Two gateways on one database share a key's quota exactly and deliver each message once. */
    private void twoGatewaysDrill() throws Exception {
        Bench.phase("two gateways on one database: " + String.format(Locale.ROOT, "%,d", TWO_GATEWAYS_REQUESTS)
                    + " sends on a key with limit " + String.format(Locale.ROOT, "%,d", TWO_GATEWAYS_LIMIT)
                    + ", 4 clients on each");
        String key = key("two", TWO_GATEWAYS_LIMIT);
        Map<Integer, Long> statuses = new TreeMap<>();
        int accepted;
        int viaFirst;
        try (GatewayProcess first = GatewayProcess.start(settings(Bench.freePort()), scratch.resolve("two-a.log"));
             GatewayProcess second = GatewayProcess.start(settings(Bench.freePort()), scratch.resolve("two-b.log"))) {
            try (Senders a = Senders.budgeted(key, 4, first::port, TWO_GATEWAYS_REQUESTS / 2);
                 Senders b = Senders.budgeted(key, 4, second::port, TWO_GATEWAYS_REQUESTS / 2)) {
                a.awaitBudget();
                b.awaitBudget();
                for (Senders senders : List.of(a, b)) {
                    senders.statuses().forEach((status, count) -> statuses.merge(status, count, Long::sum));
                }
                accepted = a.accepted().size() + b.accepted().size();
                viaFirst = a.accepted().size();
            }
            awaitDelivered("two");
            System.out.printf(Locale.ROOT, "    %s; %,d accepted through the first gateway%n", statuses, viaFirst);
        }
        long charged = db.queryLong("SELECT sum(count) FROM daily_usage WHERE api_key_id = " + keyId("two"));
        List<String> ids = ids("two");
        long stored = ids.size();
        long once = ids.stream().filter(id -> sink.arrivals(messageId(id)).size() == 1).count();
        long twice = ids.stream().filter(id -> sink.arrivals(messageId(id)).size() > 1).count();
        report.row("two gateways on one database",
                   String.format(Locale.ROOT, "%,d sends on a key with limit %,d: %s; %,d charged, %,d stored; "
                                              + "delivered once %,d, more than once %d", TWO_GATEWAYS_REQUESTS,
                                 TWO_GATEWAYS_LIMIT, statuses, charged, stored, once, twice),
                   "quota exact; no double delivery",
                   Report.yes(accepted == TWO_GATEWAYS_LIMIT && charged == TWO_GATEWAYS_LIMIT
                              && stored == TWO_GATEWAYS_LIMIT && once == TWO_GATEWAYS_LIMIT && twice == 0));
    }

    private Map<String, String> settings(int port) {
        return Bench.settings(db, sink, port);
    }

    private String key(String name, int limit) throws Exception {
        return BenchKeys.create(db.target(), "drill-" + name, 1, limit).getFirst();
    }

    private static String keyId(String name) {
        return "(SELECT id FROM api_keys WHERE name = 'drill-" + name + "1')";
    }

    private List<String> ids(String name) {
        return db.query("SELECT id FROM messages WHERE api_key_id = " + keyId(name), rs -> {
            List<String> ids = new ArrayList<>();
            while (rs.next()) {
                ids.add(rs.getString(1));
            }
            return ids;
        });
    }

    /** Waits until every message of the key is sent (or failed), up to 5 minutes. */
    private void awaitDelivered(String name) throws InterruptedException {
        long started = System.nanoTime();
        String pending = "SELECT count(*) FROM messages WHERE status IN ('queued', 'sending') AND api_key_id = " + keyId(name);
        while (db.queryLong(pending) > 0) {
            Thread.sleep(100);
            if (System.nanoTime() - started > Duration.ofMinutes(5).toNanos()) {
                throw new IllegalStateException(db.queryLong(pending) + " messages still undelivered after 5 minutes");
            }
        }
    }

    /** How many of these message ids never reached the sink. */
    private long undelivered(Collection<String> ids) {
        return ids.stream().filter(id -> sink.arrivals(messageId(id)).isEmpty()).count();
    }

    private static String messageId(String id) {
        return "<" + id + "@" + DOMAIN + ">";
    }
}
