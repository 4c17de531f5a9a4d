package dev.mgw.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import java.util.function.ToDoubleFunction;

import dev.mgw.core.db.Migrations;
import dev.mgw.core.testing.TestDatabase;

/**
 * {@code make bench}: the numbers of SPEC §9 on this machine, each next to a baseline measured in
 * the same run. The gateway runs as operators run it (its launcher, {@link GatewayProcess}),
 * against a fresh database on the local PostgreSQL and a loopback
 * SMTP sink; the load comes from this process. The machine is shared by all three and is
 * noisy, so the peak and its pgbench baselines are measured in alternating rounds and each
 * reported as the median.
 *
 * <p>Order: accept phases with delivery off (peak rounds against pgbench, half and twice the peak),
 * the same with delivery on (sandbox), end to end into the sink against pgbench's reference
 * lifecycle, keys, batch, attachments, delivery, webhooks ({@link WebhookBench}). {@code
 * BENCH_SCALE=0.2} (environment) shortens every phase to a fifth: a check of the code, not a
 * measurement.
 *
 * <p>{@code -Dbench.only=keys} runs only the keys phase; with {@code -Dbench.keys=200
 * -Dbench.keys.seconds=5} it takes under a minute (a check of the phase, not a measurement).
 * {@code -Dbench.only=batch} runs only the batch and attachment phases (about 3 minutes).
 * {@code -Dbench.only=deliveryon} runs only the delivery-on rows against one round of each pgbench
 * baseline (about 4 minutes); with {@code -Dbench.rounds=1 -Dbench.halfrate=1100} one peak round
 * each and the half-peak row at a fixed rate, which is how two builds are compared at one load.
 * {@code -Dbench.slow=15} prints every answer that came more than 15 ms after it was due, with
 * when it was due and how late the generator sent it: to line the slow ones up with the
 * gateway's and PostgreSQL's logs.
 */
public final class Bench {
    static final String MESSAGE = "{\"to\":\"user@example.com\",\"subject\":\"Benchmark\",\"text_body\":\"Hello from the benchmark\"}";
    private static final int CONCURRENCY = 64;
    private static final int POOL = 8;
    /**
     * {@code BENCH_SCALE} (default 1) multiplies every phase's duration and message count: 0.2 is
     * a dry run that checks the code in about a fifth of the time, not a measurement.
     */
    static final double SCALE = Double.parseDouble(System.getenv().getOrDefault("BENCH_SCALE", "1"));
    private static final int ROUNDS = 3;
    private static final Duration ROUND = scaled(10);
    private static final Duration SETTLE = scaled(10);
    private static final Duration MEASURE = scaled(20);
    private static final int OVERLOAD_CONNECTIONS = 1024;
    private static final int DRAIN = scaled(10_000, 500);
    private static final int MANY_KEYS = Integer.getInteger("bench.keys", scaled(10_000, 200));
    private static final Duration MANY_KEYS_RUN = Duration.ofSeconds(Long.getLong("bench.keys.seconds",
                                                                                  scaled(90).toSeconds()));
    private static final Duration KEYS_CACHE = Duration.ofSeconds(30);
    /** First uses at once while the keys phase verifies each key (one client address each, as in production). */
    private static final int FIRST_USE_CLIENTS = 32;
    /** Clients that keep using the keys already verified while the first use of the others goes on. */
    private static final int REFRESHERS = 8;
    /** The refreshers use a verified key again once it was last used this long ago (a third of the cache time). */
    private static final Duration REFRESH_AFTER = KEYS_CACHE.dividedBy(3);
    /** Delivery on: a drain between rounds waits at most this long for the queue to empty. */
    private static final Duration QUEUE_WAIT = scaled(60);
    /** Long enough for the sink to take what the end-to-end gateway's warm-up left queued. */
    private static final Duration WARM_UP_DRAIN = scaled(180);
    private static final Duration END_TO_END_LOAD = scaled(30);
    private static final Duration LIFECYCLE_RUN = scaled(15);
    private static final int UNLIMITED = 1_000_000_000;
    private static final int BATCH = 100;
    private static final int BATCH_CONCURRENCY = 16;
    private static final int UPLOADS = 64;
    private static final int UPLOAD_BYTES = 10 << 20;
    private static final int UPLOAD_MAX_REQUEST_SIZE = 16 << 20;
    private static final long UPLOAD_RSS_LIMIT = 512L << 20;

    private final TestDatabase db;
    private final SmtpSink sink;
    private final Path scratch;
    /** The accept phases' keys and pgbench medians: the delivery-on rows are held to the same baselines. */
    private List<String> benchKeys;
    private List<String> hotKeys;
    private Pgbench.Run pg100c64;
    private Pgbench.Run pg100c8;
    private Pgbench.Run pg1c64;
    private Pgbench.Run pg1c8;
    /** RSS after the delivery-on and end-to-end phases, for the RSS row. */
    private long rssDeliveryOn;
    private long rssEndToEnd;
    private QueueProbe probe;
    private final Report report = new Report("Results", "measure", "gateway (this machine)", "baseline, same run",
                                             "ratio", "SPEC §9", "met");

    private Bench(TestDatabase db, SmtpSink sink, Path scratch) {
        this.db = db;
        this.sink = sink;
        this.scratch = scratch;
    }

    public static void main(String[] args) throws Exception {
        Path scratch = Files.createDirectories(Path.of("bench", "target", "run"));
        try (TestDatabase db = TestDatabase.empty(Bench.class); SmtpSink sink = new SmtpSink()) {
            new Bench(db, sink, scratch).run();
        }
        System.exit(0);
    }

    private void run() throws Exception {
        if ("keys".equals(System.getProperty("bench.only"))) {
            keysPhase();
            System.out.println(report.markdown());
            return;
        }
        if ("submission".equals(System.getProperty("bench.only"))) {
            SubmissionBench.run(db, sink, report, scratch);
            System.out.println(report.markdown());
            return;
        }
        if ("batch".equals(System.getProperty("bench.only"))) {
            batchAndAttachmentPhases();
            System.out.println(report.markdown());
            return;
        }
        Map<String, String> settings = settings(db, sink, freePort());
        settings.put("DELIVERY_WORKERS", "0");
        if ("endtoend".equals(System.getProperty("bench.only"))) {
            // the end-to-end row alone, with where its CPU went: comparing two builds (run from each checkout)
            schemaAndKeys();
            endToEndPhase();
            System.out.println(report.markdown());
            return;
        }
        if ("deliveryon".equals(System.getProperty("bench.only"))) {
            // the delivery-on rows alone, against one round of each pgbench baseline: comparing two builds
            schemaAndKeys();
            pg100c64 = Pgbench.run(db.target(), "bench-", 100, CONCURRENCY, ROUND, scratch);
            pg100c8 = Pgbench.run(db.target(), "bench-", 100, POOL, ROUND, scratch);
            pg1c64 = Pgbench.run(db.target(), "hot-", 1, CONCURRENCY, ROUND, scratch);
            pg1c8 = Pgbench.run(db.target(), "hot-", 1, POOL, ROUND, scratch);
            deliveryOnPhase();
            noteWriteback();
            System.out.println(report.markdown());
            return;
        }
        if ("accept".equals(System.getProperty("bench.only"))) {
            // the delivery-off accept rows alone: comparing two builds (run from each checkout)
            try (GatewayProcess gateway = GatewayProcess.start(settings, scratch.resolve("gateway-accept.log"))) {
                acceptPhases(gateway);
                System.out.println("RSS after the accept phases: " + gateway.memory());
            }
            System.out.println(report.markdown());
            return;
        }
        phase("the first start, on a fresh database, stopped once ready");
        double readyFresh = GatewayProcess.firstRun(settings, scratch.resolve("gateway-first.log"));
        phase("starting the gateway (no delivery during the accept phases)");
        long rssAccept;
        try (GatewayProcess gateway = GatewayProcess.start(settings, scratch.resolve("gateway-accept.log"))) {
            rssAccept = acceptPhases(gateway);
        }
        deliveryOnPhase();
        endToEndPhase();
        keysPhase();
        batchAndAttachmentPhases();
        SubmissionBench.run(db, sink, report, scratch);
        deliveryPhases(readyFresh, rssAccept);
        WebhookBench.run(db, report, scratch);
        report.note("Absolute numbers are this machine's: " + Runtime.getRuntime().availableProcessors()
                    + " cores shared by the gateway, PostgreSQL (synchronous_commit on) and the load generator; "
                    + "ratios compare with baselines measured in the same run.");
        report.note("Peak rows: the median of " + ROUNDS + " alternating " + ROUND.toSeconds()
                    + " s rounds of gateway, pgbench -c 64 and pgbench -c 8; the gateway is held to the better baseline.");
        report.note("The first accept phases run with DELIVERY_WORKERS=0 (pgbench does no delivery either), after a "
                    + "warm-up of every load shape; the delivery-on, end-to-end and delivery phases with the defaults "
                    + "(pool 8, 4 workers), the delivery-on and end-to-end gateways after a warm-up of 60 s of their "
                    + "own." + (SCALE != 1 ? " BENCH_SCALE=" + SCALE + ": a dry run, not a measurement." : ""));
        noteWriteback();
        Path file = report.write("bench", "Gateway: " + GatewayProcess.commandLine() + ". Load: keep-alive HTTP/1.1 from "
                                          + "`bench` (event-driven, 2 threads), " + CONCURRENCY + " connections unless "
                                          + "stated; pgbench " + Pgbench.version() + " with the gateway's SQL.");
        System.out.println();
        System.out.println(report.markdown());
        System.out.println("written to " + file);
    }

    /** Where the gateways' logs go, and when this host writes them back: what the delivery-on half peak waits on. */
    private void noteWriteback() {
        report.note("The gateways' stdout, their JSON log (about 1 KB per message delivered), goes to files in "
                    + "bench/target/run on the disk PostgreSQL writes its WAL to; this host writes dirty pages back "
                    + writeback() + " (README, Operations: \"Logs and the database's disk\").");
    }

    /**
     * When this host's kernel starts writing dirty pages back: past {@code vm.dirty_background_bytes}
     * (or {@code _ratio} of memory when that is 0), and once they are {@code dirty_expire_centisecs} old.
     */
    private static String writeback() {
        try {
            long bytes = Long.parseLong(sysctl("dirty_background_bytes"));
            String ratio = sysctl("dirty_background_ratio");
            long expire = Long.parseLong(sysctl("dirty_expire_centisecs"));
            return String.format(Locale.ROOT, "once %s are dirty or a page is %.0f s old",
                                 bytes > 0 ? String.format(Locale.ROOT, "%,d bytes (vm.dirty_background_bytes)", bytes)
                                           : ratio + " % of memory (vm.dirty_background_ratio)",
                                 expire / 100.0);
        } catch (IOException | NumberFormatException e) {
            return "(vm.dirty_background_* unreadable: " + e.getMessage() + ")";
        }
    }

    /** One {@code vm.} setting (read by line: {@code Files.readString} gave only a /proc file's first byte here). */
    private static String sysctl(String name) throws IOException {
        return Files.readAllLines(Path.of("/proc/sys/vm", name)).getFirst().strip();
    }

    /** For a phase run alone: the schema, which the accept gateway's first start would have created, and the keys. */
    private void schemaAndKeys() throws SQLException {
        new Migrations(db.target()).migrate();
        createKeys();
    }

    /** The 100 keys traffic is spread over and the one hot key, shared by every phase that compares with pgbench. */
    private void createKeys() throws SQLException {
        benchKeys = BenchKeys.create(db.target(), "bench-", 100, UNLIMITED);
        hotKeys = BenchKeys.create(db.target(), "hot-", 1, UNLIMITED);
    }

    /** Peak against pgbench, half the peak and twice the peak; returns the RSS after them. */
    private long acceptPhases(GatewayProcess gateway) throws Exception {
        createKeys();
        HttpLoad load = new HttpLoad("127.0.0.1", gateway.port());
        IntFunction<byte[]> over100 = requests(benchKeys);
        IntFunction<byte[]> overHot = requests(hotKeys);

        phase("warming up every load shape (JIT): about 60 s");
        HttpLoad.Result warm = load.closedLoop(CONCURRENCY, scaled(30), over100);
        load.closedLoop(CONCURRENCY, scaled(10), overHot);
        load.openLoop(warm.rate(202) / 2, CONCURRENCY, scaled(10), over100);
        load.openLoop(warm.rate(202) * 2, OVERLOAD_CONNECTIONS, scaled(10), over100);

        phase(ROUNDS + " rounds: gateway and pgbench (same SQL, same PostgreSQL), 100 keys and 1 key");
        List<HttpLoad.Result> peak100 = new ArrayList<>();
        List<HttpLoad.Result> peak1 = new ArrayList<>();
        List<Pgbench.Run> pg100c64 = new ArrayList<>();
        List<Pgbench.Run> pg100c8 = new ArrayList<>();
        List<Pgbench.Run> pg1c64 = new ArrayList<>();
        List<Pgbench.Run> pg1c8 = new ArrayList<>();
        double gatewayCpu = 0;
        long peakRequests = 0;
        for (int round = 1; round <= ROUNDS; round++) {
            double cpuBefore = gateway.cpuSeconds();
            HttpLoad.Result result = load.closedLoop(CONCURRENCY, ROUND, over100);
            gatewayCpu += gateway.cpuSeconds() - cpuBefore;
            peakRequests += result.total();
            peak100.add(result);
            pg100c64.add(Pgbench.run(db.target(), "bench-", 100, CONCURRENCY, ROUND, scratch));
            pg100c8.add(Pgbench.run(db.target(), "bench-", 100, POOL, ROUND, scratch));
            peak1.add(load.closedLoop(CONCURRENCY, ROUND, overHot));
            pg1c64.add(Pgbench.run(db.target(), "hot-", 1, CONCURRENCY, ROUND, scratch));
            pg1c8.add(Pgbench.run(db.target(), "hot-", 1, POOL, ROUND, scratch));
            System.out.printf(Locale.ROOT, "    round %d: 100 keys %s vs pgbench %.0f / %.0f tps; 1 key %s vs pgbench %.0f / %.0f tps%n",
                              round, Report.rate(peak100.getLast().rate(202)), pg100c64.getLast().tps(),
                              pg100c8.getLast().tps(), Report.rate(peak1.getLast().rate(202)), pg1c64.getLast().tps(),
                              pg1c8.getLast().tps());
        }
        HttpLoad.Result median100 = median(peak100, r -> r.rate(202));
        HttpLoad.Result median1 = median(peak1, r -> r.rate(202));
        this.pg100c64 = median(pg100c64, Pgbench.Run::tps);
        this.pg100c8 = median(pg100c8, Pgbench.Run::tps);
        this.pg1c64 = median(pg1c64, Pgbench.Run::tps);
        this.pg1c8 = median(pg1c8, Pgbench.Run::tps);
        peakRow("accepted sends/s, c=64, 100 keys", median100, this.pg100c64, this.pg100c8, "", 0.7);
        peakRow("accepted sends/s, c=64, 1 key", median1, this.pg1c64, this.pg1c8, "", 0.7);

        double peak = median100.rate(202);
        phase(String.format(Locale.ROOT, "half the peak: %,.0f/s offered, %d s to settle, %d s measured", peak / 2,
                            SETTLE.toSeconds(), MEASURE.toSeconds()));
        load.openLoop(peak / 2, CONCURRENCY, SETTLE, over100);
        HttpLoad.Result half = load.openLoop(peak / 2, CONCURRENCY, MEASURE, over100);
        show(half);
        Pgbench.Latency halfPg64 = Pgbench.atRate(db.target(), "bench-", 100, CONCURRENCY, peak / 2, MEASURE, scratch);
        Pgbench.Latency halfPg8 = Pgbench.atRate(db.target(), "bench-", 100, POOL, peak / 2, MEASURE, scratch);
        halfRow("/send latency at half the peak (" + Report.rate(peak / 2) + " offered, delivery off)", half, halfPg64, halfPg8);

        phase(String.format(Locale.ROOT, "twice the peak: %,.0f/s offered over %d connections, %d s to settle, %d s measured",
                            peak * 2, OVERLOAD_CONNECTIONS, SETTLE.toSeconds(), MEASURE.toSeconds()));
        load.openLoop(peak * 2, OVERLOAD_CONNECTIONS, SETTLE, over100);
        HttpLoad.Result overload = load.openLoop(peak * 2, OVERLOAD_CONNECTIONS, MEASURE, over100);
        show(overload);
        long shedOrAccepted = overload.count(202) + overload.count(429) + overload.count(503);
        report.row(String.format(Locale.ROOT, "2× overload (%,.0f/s offered, %d connections)", peak * 2,
                                 OVERLOAD_CONNECTIONS),
                   overload.statusSummary() + "; time-outs (no answer " + HttpLoad.TIMEOUT.toSeconds() + " s after due) "
                   + overload.timeouts() + "; " + Report.rate(overload.rate(202)) + " accepted, p99 "
                   + Report.millis(overload.percentile(99)) + ", max " + Report.millis(overload.percentile(100)),
                   "peak " + Report.rate(peak), Report.ratio(overload.rate(202) / peak) + " of peak accepted",
                   "only 429/503, no time-outs",
                   Report.yes(shedOrAccepted == overload.total() && overload.timeouts() == 0 && overload.errors() == 0));

        report.note(String.format(Locale.ROOT, "Gateway CPU per accepted send at the peak: %.0f µs (of the %d cores).",
                                  gatewayCpu / peakRequests * 1e6, Runtime.getRuntime().availableProcessors()));
        report.note("All traffic on 1 key is slower than on 100 because every send updates the same usage row "
                    + "(row lock): pgbench with the same SQL slows down alike.");
        return gateway.residentBytes();
    }

    /**
     * SPEC §9's last promise, in a gateway of its own started with {@code AUTH_CACHE_SECONDS=30}
     * (the accept rows keep the defaults: with 30 s, the 100 keys would fall out of the cache
     * during the pgbench runs between rounds): 100 keys, then {@link #MANY_KEYS} keys round-robin
     * for {@link #MANY_KEYS_RUN}, three times the cache time, so that an entry that expired after
     * its check rather than after its last use would show as bcrypt checks. Both rates come from
     * the same warm process, one after the other.
     *
     * <p>Before each run every key is used once ({@link #useEachOnce}), and that pass must end
     * well within the cache time: the run starts again at the first key, which was last used when
     * the pass began. The gateway has one bcrypt thread on this machine, so the pass is made of
     * nothing but bcrypt: {@value #FIRST_USE_CLIENTS} clients at once, each request from an address
     * of its own ({@code TRUSTED_PROXIES} and {@code X-Forwarded-For}, as behind a reverse proxy;
     * one address may run at most 20 checks at once), each a {@code GET /api/v1/usage} (one read;
     * a send would add a commit to every check).
     */
    private void keysPhase() throws Exception {
        Map<String, String> settings = settings(db, sink, freePort());
        settings.put("DELIVERY_WORKERS", "0");
        settings.put("AUTH_CACHE_SECONDS", String.valueOf(KEYS_CACHE.toSeconds()));
        settings.put("TRUSTED_PROXIES", "127.0.0.1");
        phase(String.format(Locale.ROOT, "keys: a gateway with AUTH_CACHE_SECONDS=%d; 100 keys (%d s warm-up, %d s "
                                         + "measured), then %,d keys (each used once, then %d s round-robin)",
                            KEYS_CACHE.toSeconds(), ROUND.toSeconds(), MEASURE.toSeconds(), MANY_KEYS,
                            MANY_KEYS_RUN.toSeconds()));
        try (GatewayProcess gateway = GatewayProcess.start(settings, scratch.resolve("gateway-keys.log"))) {
            List<String> hundred = BenchKeys.create(db.target(), "hundred-", 100, UNLIMITED);
            List<String> many = BenchKeys.create(db.target(), "many-", MANY_KEYS, UNLIMITED);
            HttpLoad load = new HttpLoad("127.0.0.1", gateway.port());
            IntFunction<byte[]> overHundred = requests(hundred);
            IntFunction<byte[]> overMany = requests(many);
            useEachOnce(gateway, hundred);
            load.closedLoop(CONCURRENCY, ROUND, overHundred);
            long hundredBefore = gateway.metric("auth_bcrypt_checks_total");
            HttpLoad.Result hundredRun = load.closedLoop(CONCURRENCY, MEASURE, overHundred);
            show(hundredRun);
            long hundredChecks = gateway.metric("auth_bcrypt_checks_total") - hundredBefore;

            long manyBefore = gateway.metric("auth_bcrypt_checks_total");
            FirstUse firstUse = useEachOnce(gateway, many);
            double firstUseSeconds = firstUse.seconds();
            long warmChecks = gateway.metric("auth_bcrypt_checks_total") - manyBefore;
            System.out.printf(Locale.ROOT, "    first use of each of the %,d keys: %.1f s (%,.0f/s), %d bcrypt checks, "
                                           + "%d retried after 503; meanwhile %,d uses of keys already used %s%n",
                              MANY_KEYS, firstUseSeconds, MANY_KEYS / firstUseSeconds, warmChecks, firstUse.retries(),
                              firstUse.refreshes(), firstUse.refreshStatuses());
            HttpLoad.Result manyRun = load.closedLoop(CONCURRENCY, MANY_KEYS_RUN, overMany);
            show(manyRun);
            long runChecks = gateway.metric("auth_bcrypt_checks_total") - manyBefore - warmChecks;

            double ratio = manyRun.rate(202) / hundredRun.rate(202);
            String manyKeys = String.format(Locale.ROOT, "%,d", MANY_KEYS);
            report.row(String.format(Locale.ROOT, "sends/s, c=64, %s keys round-robin for %d s, AUTH_CACHE_SECONDS=%d",
                                     manyKeys, MANY_KEYS_RUN.toSeconds(), KEYS_CACHE.toSeconds()),
                       Report.rate(manyRun.rate(202)) + " (p50 " + Report.millis(manyRun.percentile(50)) + ", p99 "
                       + Report.millis(manyRun.percentile(99)) + "; " + manyRun.statusSummary() + "); bcrypt checks: "
                       + (warmChecks + runChecks) + " in all, " + warmChecks + " in the first use of each key ("
                       + String.format(Locale.ROOT, "%.1f s", firstUseSeconds) + "), " + runChecks + " during the "
                       + MANY_KEYS_RUN.toSeconds() + " s",
                       "100 keys, same gateway: " + Report.rate(hundredRun.rate(202)) + " (bcrypt checks: "
                       + hundredChecks + ")",
                       Report.ratio(ratio, 0.9) + " (" + manyKeys + " / 100)",
                       "≥ 0.90; bcrypt checks = " + manyKeys + " (the keys)",
                       Report.yes(ratio >= 0.9 && runChecks == 0 && hundredChecks == 0
                                  && warmChecks + runChecks == MANY_KEYS));
            report.note(String.format(Locale.ROOT, "Keys row: the first use of each of the %s keys (GET "
                                                   + "/api/v1/usage, %d clients, each request from its own address "
                                                   + "through TRUSTED_PROXIES and X-Forwarded-For) took %.1f s, bound by "
                                                   + "the gateway's one bcrypt thread; meanwhile %d clients used again each "
                                                   + "key last used %d s before (%,d requests %s, no bcrypt), as their "
                                                   + "traffic would, so that none left the %d s cache before the run.",
                                      manyKeys, FIRST_USE_CLIENTS, firstUseSeconds, REFRESHERS,
                                      REFRESH_AFTER.toSeconds(), firstUse.refreshes(), firstUse.refreshStatuses(),
                                      KEYS_CACHE.toSeconds()));
        }
    }

    /**
     * One {@code GET /api/v1/usage} with each key, so that every key is verified and cached as
     * steady traffic keeps them: {@value #FIRST_USE_CLIENTS} blocking clients at once, in key order
     * (the order of the run after it), each request from its own address in {@code X-Forwarded-For}.
     * A 503 (the bcrypt queue full for a second: the check never started) is tried again.
     *
     * <p>On this machine the pass is bound by the gateway's one bcrypt thread and can take about as
     * long as the cache time, while the run after it starts again at the first key. So, as the
     * traffic of that many clients would, {@value #REFRESHERS} more clients use again each verified
     * key last used {@link #REFRESH_AFTER} ago, until the pass ends: a {@code GET
     * /api/v1/messages/none} (authenticated, then 404 without any SQL), which costs no bcrypt for a
     * cached key. The run then reaches each key well within the cache time. Returns what the pass
     * did, for the report.
     */
    private static FirstUse useEachOnce(GatewayProcess gateway, List<String> keys) throws Exception {
        AtomicInteger next = new AtomicInteger();
        AtomicLong retries = new AtomicLong();
        AtomicLong refreshes = new AtomicLong();
        Map<Integer, Long> refreshStatuses = new ConcurrentHashMap<>();
        AtomicBoolean passing = new AtomicBoolean(true);
        AtomicReference<Exception> failed = new AtomicReference<>();
        long started = System.nanoTime();
        AtomicLongArray lastUse = new AtomicLongArray(keys.size());
        List<Thread> refreshers = new ArrayList<>();
        for (int r = 0; r < REFRESHERS; r++) {
            int first = r;
            refreshers.add(Thread.ofPlatform().start(() -> {
                try (HttpLoad.Client client = new HttpLoad.Client("127.0.0.1", gateway.port())) {
                    while (passing.get()) {
                        for (int j = first; j < keys.size() && passing.get(); j += REFRESHERS) {
                            long used = lastUse.get(j);
                            if (used == 0 || System.nanoTime() - used < REFRESH_AFTER.toNanos()) {
                                continue;
                            }
                            int status = client.exchange(("GET /api/v1/messages/none HTTP/1.1\r\nHost: gateway\r\n"
                                                          + "X-API-Key: " + keys.get(j) + "\r\n\r\n")
                                                                 .getBytes(StandardCharsets.US_ASCII)).status();
                            if (status == 404) {
                                // used: a 503 (the gateway busy before it looked at the key) tries again
                                lastUse.set(j, System.nanoTime());
                            }
                            refreshes.incrementAndGet();
                            refreshStatuses.merge(status, 1L, Long::sum);
                        }
                        Thread.sleep(50);
                    }
                } catch (IOException | RuntimeException | InterruptedException e) {
                    failed.compareAndSet(null, e);
                }
            }));
        }
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < FIRST_USE_CLIENTS; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try (HttpLoad.Client client = new HttpLoad.Client("127.0.0.1", gateway.port())) {
                    for (int i = next.getAndIncrement(); i < keys.size() && failed.get() == null;
                         i = next.getAndIncrement()) {
                        byte[] request = ("GET /api/v1/usage HTTP/1.1\r\nHost: gateway\r\nX-API-Key: " + keys.get(i)
                                          + "\r\nX-Forwarded-For: 10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "."
                                          + (i & 255) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
                        int status = client.exchange(request).status();
                        for (int attempt = 1; status == 503 && attempt < 20; attempt++) {
                            retries.incrementAndGet();
                            Thread.sleep(50);
                            status = client.exchange(request).status();
                        }
                        if (status != 200) {
                            throw new IllegalStateException("first use of key " + i + ": HTTP " + status);
                        }
                        lastUse.set(i, System.nanoTime());
                    }
                } catch (IOException | RuntimeException | InterruptedException e) {
                    failed.compareAndSet(null, e);
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        passing.set(false);
        for (Thread refresher : refreshers) {
            refresher.join();
        }
        if (failed.get() != null) {
            throw failed.get();
        }
        return new FirstUse(seconds, retries.get(), refreshes.get(), new TreeMap<>(refreshStatuses));
    }

    /** The first use of each key: how long it took, 503s tried again, and the refreshing requests by status. */
    private record FirstUse(double seconds, long retries, long refreshes, Map<Integer, Long> refreshStatuses) {
    }

    /**
     * SPEC §9's accept ratios with delivery running in the same process, as a production gateway
     * accepts: the default settings in sandbox mode ({@code SMTP_HOST} unset: each message is
     * rendered and recorded sent, nothing leaves), held to the pgbench medians of the accept
     * phases (pgbench does no delivery). Each round starts on an empty queue, waiting up to
     * {@link #QUEUE_WAIT} for the backlog of the round before to drain; then the half-peak latency
     * with delivery on, against pgbench at the same rate, run after this gateway has stopped (its
     * workers would deliver pgbench's messages too).
     */
    private void deliveryOnPhase() throws Exception {
        db.sql("TRUNCATE messages, daily_usage CASCADE");
        Map<String, String> settings = settings(db, sink, freePort());
        settings.keySet().removeIf(name -> name.startsWith("SMTP_"));
        phase(String.format(Locale.ROOT, "delivery on: a gateway with the default settings in sandbox mode; %d rounds "
                                         + "of %d s, 100 keys and 1 key, each from an empty queue", ROUNDS,
                            ROUND.toSeconds()));
        List<HttpLoad.Result> peak100 = new ArrayList<>();
        List<HttpLoad.Result> peak1 = new ArrayList<>();
        List<String> notes100 = new ArrayList<>();
        List<String> notes1 = new ArrayList<>();
        double peak;
        HttpLoad.Result half;
        try (GatewayProcess gateway = GatewayProcess.start(settings, scratch.resolve("gateway-delivery-on.log"))) {
            HttpLoad load = new HttpLoad("127.0.0.1", gateway.port());
            IntFunction<byte[]> over100 = requests(benchKeys);
            IntFunction<byte[]> overHot = requests(hotKeys);
            warmUp(load, over100, overHot);
            for (int round = 1; round <= Integer.getInteger("bench.rounds", ROUNDS); round++) {
                peak100.add(roundWithDelivery(load, over100, notes100));
                peak1.add(roundWithDelivery(load, overHot, notes1));
                System.out.printf(Locale.ROOT, "    round %d: 100 keys %s (%s); 1 key %s (%s)%n", round,
                                  Report.rate(peak100.getLast().rate(202)), notes100.getLast(),
                                  Report.rate(peak1.getLast().rate(202)), notes1.getLast());
            }
            peak = median(peak100, r -> r.rate(202)).rate(202);
            String halfRate = System.getProperty("bench.halfrate");
            if (halfRate != null) {
                // the half-peak row at this rate, to compare two builds at the same load
                peak = 2 * Double.parseDouble(halfRate);
            }
            awaitEmptyQueue();
            phase(String.format(Locale.ROOT, "delivery on, half the peak: %,.0f/s offered, %d s to settle, %d s measured",
                                peak / 2, SETTLE.toSeconds(), MEASURE.toSeconds()));
            load.openLoop(peak / 2, CONCURRENCY, SETTLE, over100);
            Cpu.Split cpuBefore = Cpu.split(gateway.pid());
            long commitsBefore = commits();
            half = load.openLoop(peak / 2, CONCURRENCY, MEASURE, over100);
            long commits = commits() - commitsBefore;
            System.out.printf(Locale.ROOT, "    CPU µs per accepted message: %s; database commits per accepted message "
                                           + "%.2f%n", Cpu.split(gateway.pid()).minus(cpuBefore).perMessage(half.count(202)),
                              (double) commits / Math.max(1, half.count(202)));
            show(half);
            rssDeliveryOn = gateway.residentBytes();
        }
        HttpLoad.Result median100 = median(peak100, r -> r.rate(202));
        HttpLoad.Result median1 = median(peak1, r -> r.rate(202));
        peakRow("accepted sends/s, c=64, 100 keys, delivery on (sandbox, default workers)", median100, pg100c64,
                pg100c8, "; " + notes100.get(peak100.indexOf(median100)), 0.6);
        peakRow("accepted sends/s, c=64, 1 key, delivery on (sandbox, default workers)", median1, pg1c64, pg1c8,
                "; " + notes1.get(peak1.indexOf(median1)), 0.6);
        Pgbench.Latency halfPg64 = Pgbench.atRate(db.target(), "bench-", 100, CONCURRENCY, peak / 2, MEASURE, scratch);
        Pgbench.Latency halfPg8 = Pgbench.atRate(db.target(), "bench-", 100, POOL, peak / 2, MEASURE, scratch);
        halfRow("/send latency at half the delivery-on peak (" + Report.rate(peak / 2) + " offered, delivery on)", half,
                halfPg64, halfPg8);
        report.note("Delivery-on rows: the pgbench baselines are the medians of the accept rounds above (pgbench "
                    + "does no delivery); each gateway round starts on an empty queue, and its cell says how many "
                    + "messages were recorded sent during the round and how many were still queued at its end.");
    }

    /**
     * The warm-up of a gateway started for the delivery-on or the end-to-end phase, as long as the
     * accept gateway's and with its closed-loop shapes: the JIT is still compiling for about a
     * minute after a start here (perf on a delivery-on gateway: the C2 compiler threads took a
     * third of its CPU 25-45 s after the start, and 15 % 60-80 s after it), and every peak row
     * measures a process that runs as it will for days.
     */
    private static void warmUp(HttpLoad load, IntFunction<byte[]> over100, IntFunction<byte[]> overHot)
            throws InterruptedException {
        load.closedLoop(CONCURRENCY, scaled(45), over100);
        load.closedLoop(CONCURRENCY, scaled(15), overHot);
    }

    /** Transactions committed in the bench's database so far, per PostgreSQL's statistics. */
    private long commits() {
        return db.queryLong("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()");
    }

    /** One closed-loop round from an empty queue; notes what was delivered during it and the backlog at its end. */
    private HttpLoad.Result roundWithDelivery(HttpLoad load, IntFunction<byte[]> requests, List<String> notes)
            throws Exception {
        awaitEmptyQueue();
        long sentBefore = sent();
        HttpLoad.Result result = load.closedLoop(CONCURRENCY, ROUND, requests);
        long delivered = sent() - sentBefore;
        notes.add(String.format(Locale.ROOT, "delivered during it %s, %,d queued at its end",
                                Report.rate(delivered / result.seconds), queued()));
        return result;
    }

    /**
     * SPEC §9's end-to-end row: a gateway with the default settings delivering into the sink takes
     * {@link #END_TO_END_LOAD} of closed-loop load at c=64 over 100 keys, and the clock runs on
     * until every accepted message is recorded sent. Its rate, messages accepted and delivered per
     * second over the load and the drain, is held to pgbench running the reference lifecycle
     * ({@link Pgbench#lifecycle}) at -c 64 and -c 8 after the gateway has stopped: the better one.
     */
    private void endToEndPhase() throws Exception {
        db.sql("TRUNCATE messages, daily_usage CASCADE");
        phase(String.format(Locale.ROOT, "end to end: a gateway with the default settings delivering into the sink; "
                                         + "%d s of load at c=64 over 100 keys, then the drain", END_TO_END_LOAD.toSeconds()));
        HttpLoad.Result result;
        long deliveredDuringLoad;
        long backlog;
        double drainSeconds;
        double seconds;
        try (GatewayProcess gateway = GatewayProcess.start(settings(db, sink, freePort()),
                                                           scratch.resolve("gateway-end-to-end.log"))) {
            HttpLoad load = new HttpLoad("127.0.0.1", gateway.port());
            IntFunction<byte[]> over100 = requests(benchKeys);
            warmUp(load, over100, requests(hotKeys));
            awaitEmptyQueue(WARM_UP_DRAIN);
            long sentBefore = sent();
            Instant loadStart = Instant.now();
            long started = System.nanoTime();
            Cpu.Split cpuBefore = Cpu.split(gateway.pid());
            result = load.closedLoop(CONCURRENCY, END_TO_END_LOAD, over100);
            long loadEnded = System.nanoTime();
            Instant loadEnd = Instant.now();
            Cpu.Split cpuLoad = Cpu.split(gateway.pid());
            // nothing but the probe asks the database anything until the drain is over
            long drained = probe().awaitDrained(Duration.ofMillis(20), Duration.ofMinutes(5), "the end-to-end drain");
            Cpu.Split cpuDrain = Cpu.split(gateway.pid());
            long unsent = sentBefore + result.count(202) - sent();
            if (unsent > 0) {
                throw new IllegalStateException("the end-to-end drain ended with messages not sent: " + unsent);
            }
            deliveredDuringLoad = db.queryLong("SELECT count(*) FROM messages WHERE status = 'sent' AND sent_at >= '"
                                               + loadStart + "' AND sent_at < '" + loadEnd + "'");
            backlog = result.count(202) - deliveredDuringLoad;
            System.out.println("    CPU µs per accepted message during the load: "
                               + cpuLoad.minus(cpuBefore).perMessage(result.count(202)));
            System.out.println("    CPU µs per delivered message during the drain: "
                               + cpuDrain.minus(cpuLoad).perMessage(backlog));
            drainSeconds = (drained - loadEnded) / 1e9;
            seconds = (drained - started) / 1e9;
            rssEndToEnd = gateway.residentBytes();
        }
        double endToEnd = result.count(202) / seconds;
        System.out.printf(Locale.ROOT, "    %,d accepted (%s; %s), %,d delivered during the load, %,d queued at its "
                                       + "end, drained in %.1f s: %s end to end%n", result.count(202),
                          Report.rate(result.rate(202)), result.statusSummary(), deliveredDuringLoad, backlog,
                          drainSeconds, Report.rate(endToEnd));
        long pgSentBefore = sent();
        long pgStoredBefore = db.queryLong("SELECT count(*) FROM messages");
        // each run starts on a vacuumed table, as the gateway's queue vacuum leaves it; pgbench vacuums nothing while it runs
        db.sql("VACUUM messages");
        Pgbench.Run lifecycle64 = Pgbench.lifecycle(db.target(), "bench-", 100, CONCURRENCY, LIFECYCLE_RUN, scratch);
        db.sql("VACUUM messages");
        Pgbench.Run lifecycle8 = Pgbench.lifecycle(db.target(), "bench-", 100, POOL, LIFECYCLE_RUN, scratch);
        System.out.printf(Locale.ROOT, "    pgbench reference lifecycle: -c 64 %,.0f tps, -c 8 %,.0f tps (%,d of its %,d "
                                       + "messages recorded sent)%n", lifecycle64.tps(), lifecycle8.tps(),
                          sent() - pgSentBefore, db.queryLong("SELECT count(*) FROM messages") - pgStoredBefore);
        double ratio = endToEnd / Math.max(lifecycle64.tps(), lifecycle8.tps());
        report.row(String.format(Locale.ROOT, "end to end: messages accepted and delivered to the sink/s, %d s at c=64 "
                                              + "over 100 keys + the drain", END_TO_END_LOAD.toSeconds()),
                   Report.rate(endToEnd) + String.format(Locale.ROOT, " (%,d accepted at %s, p99 %s, %s; %s "
                                                                     + "delivered during the load, %,d queued at its "
                                                                     + "end, drained in %.1f s)", result.count(202),
                                                         Report.rate(result.rate(202)),
                                                         Report.millis(result.percentile(99)), result.statusSummary(),
                                                         Report.rate(deliveredDuringLoad / result.seconds), backlog,
                                                         drainSeconds),
                   String.format(Locale.ROOT, "pgbench reference lifecycle (accept; per 10 messages a claim and a "
                                              + "record): -c 64: %,.0f tps; -c 8: %,.0f tps", lifecycle64.tps(),
                                 lifecycle8.tps()),
                   Report.ratio(ratio, 0.5) + " of the better", "≥ 0.50",
                   Report.yes(ratio >= 0.5 && result.timeouts() == 0 && result.errors() == 0));
    }

    /** Waits up to {@link #QUEUE_WAIT} for no message to be queued or sending; says so when it gives up. */
    private void awaitEmptyQueue() throws InterruptedException, SQLException {
        awaitEmptyQueue(QUEUE_WAIT);
    }

    /** As {@link #awaitEmptyQueue()}, waiting up to {@code wait}. */
    private void awaitEmptyQueue(Duration wait) throws InterruptedException, SQLException {
        if (probe().awaitEmpty(Duration.ofMillis(100), wait).isEmpty()) {
            System.out.printf(Locale.ROOT, "    (%,d messages still queued after %d s; going on)%n", queued(),
                              wait.toSeconds());
        }
    }

    /** The probe of the queue, opened on first use (the first gateway creates the schema). */
    private QueueProbe probe() throws SQLException {
        if (probe == null) {
            probe = new QueueProbe(db.target());
        }
        return probe;
    }

    private long sent() {
        return db.queryLong("SELECT count(*) FROM messages WHERE status = 'sent'");
    }

    private long queued() {
        return db.queryLong("SELECT count(*) FROM messages WHERE status IN ('queued', 'sending')");
    }

    /**
     * Issue 13's promises of SPEC §9. Batch: 100-message batches against single sends, both at
     * concurrency {@value #BATCH_CONCURRENCY} over as many keys, in alternating rounds (the median
     * of each), in a gateway that only accepts. Memory: {@value #UPLOADS} clients each sending one
     * 10 MiB attachment at once to a gateway started with the launcher's options and
     * {@code MAX_REQUEST_SIZE=16777216}, delivering into the sink; its RSS is sampled every 10 ms
     * until the accepted messages have reached the sink.
     */
    private void batchAndAttachmentPhases() throws Exception {
        batchPhase();
        uploadPhase();
    }

    private void batchPhase() throws Exception {
        Map<String, String> settings = settings(db, sink, freePort());
        settings.put("DELIVERY_WORKERS", "0");
        phase(String.format(Locale.ROOT, "batch: %d-message batches against single sends, c=%d, %d rounds of %d s each",
                            BATCH, BATCH_CONCURRENCY, ROUNDS, ROUND.toSeconds()));
        try (GatewayProcess gateway = GatewayProcess.start(settings, scratch.resolve("gateway-batch.log"))) {
            List<String> keys = BenchKeys.create(db.target(), "batch-", BATCH_CONCURRENCY, UNLIMITED);
            StringBuilder batch = new StringBuilder("{\"messages\":[");
            for (int i = 0; i < BATCH; i++) {
                batch.append(i == 0 ? "" : ",").append(MESSAGE);
            }
            String batchBody = batch.append("]}").toString();
            byte[][] batches = keys.stream().map(k -> HttpLoad.post("/api/v1/send/batch", k, batchBody))
                    .toArray(byte[][]::new);
            IntFunction<byte[]> batched = i -> batches[Math.floorMod(i, batches.length)];
            IntFunction<byte[]> singles = requests(keys);
            HttpLoad load = new HttpLoad("127.0.0.1", gateway.port());
            load.closedLoop(BATCH_CONCURRENCY, ROUND, singles);
            load.closedLoop(BATCH_CONCURRENCY, ROUND, batched);
            List<HttpLoad.Result> single = new ArrayList<>();
            List<HttpLoad.Result> batchRuns = new ArrayList<>();
            for (int round = 1; round <= ROUNDS; round++) {
                single.add(load.closedLoop(BATCH_CONCURRENCY, ROUND, singles));
                batchRuns.add(load.closedLoop(BATCH_CONCURRENCY, ROUND, batched));
                System.out.printf(Locale.ROOT, "    round %d: single %s messages; batches %s messages%n", round,
                                  Report.rate(single.getLast().rate(202)), Report.rate(batchRuns.getLast().rate(202) * BATCH));
            }
            HttpLoad.Result singleMedian = median(single, r -> r.rate(202));
            HttpLoad.Result batchMedian = median(batchRuns, r -> r.rate(202));
            double ratio = batchMedian.rate(202) * BATCH / singleMedian.rate(202);
            report.row(String.format(Locale.ROOT, "messages/s in %d-message batches, c=%d", BATCH, BATCH_CONCURRENCY),
                       Report.rate(batchMedian.rate(202) * BATCH) + " (" + Report.rate(batchMedian.rate(202))
                       + " batches, p50 " + Report.millis(batchMedian.percentile(50)) + ", p99 "
                       + Report.millis(batchMedian.percentile(99)) + "; " + batchMedian.statusSummary() + ")",
                       "single sends, c=" + BATCH_CONCURRENCY + ", same gateway: " + Report.rate(singleMedian.rate(202))
                       + " (p50 " + Report.millis(singleMedian.percentile(50)) + ")",
                       Report.ratio(ratio, 5) + "×", "≥ 5×",
                       Report.yes(ratio >= 5 && batchMedian.count(202) == batchMedian.total()));
        }
    }

    private void uploadPhase() throws Exception {
        db.sql("TRUNCATE messages, daily_usage CASCADE");
        Map<String, String> settings = settings(db, sink, freePort());
        settings.put("MAX_REQUEST_SIZE", String.valueOf(UPLOAD_MAX_REQUEST_SIZE));
        phase(String.format(Locale.ROOT, "memory: %d clients each send one 10 MiB attachment at once "
                                         + "(MAX_REQUEST_SIZE=%d, delivery on)", UPLOADS, UPLOAD_MAX_REQUEST_SIZE));
        try (GatewayProcess gateway = GatewayProcess.start(settings, scratch.resolve("gateway-uploads.log"))) {
            String key = BenchKeys.create(db.target(), "upload-", 1, UNLIMITED).getFirst();
            try (HttpLoad.Client client = new HttpLoad.Client("127.0.0.1", gateway.port())) {
                // the key's one bcrypt check, before the clock starts
                client.exchange(HttpLoad.send(key, MESSAGE));
            }
            byte[] request = HttpLoad.post("/api/v1/send", key, uploadBody());
            AtomicLong peak = new AtomicLong(gateway.residentBytes());
            AtomicBoolean sampling = new AtomicBoolean(true);
            Thread sampler = Thread.ofPlatform().daemon().start(() -> {
                while (sampling.get()) {
                    try {
                        peak.accumulateAndGet(gateway.residentBytes(), Math::max);
                        Thread.sleep(10);
                    } catch (IOException | InterruptedException e) {
                        return;
                    }
                }
            });
            long started = System.nanoTime();
            Map<String, Long> outcomes = uploads(gateway.port(), request);
            double uploadSeconds = (System.nanoTime() - started) / 1e9;
            long accepted = outcomes.getOrDefault("202", 0L);
            while (db.queryLong("SELECT count(*) FROM messages WHERE status = 'sent'") < accepted + 1
                   && System.nanoTime() - started < Duration.ofMinutes(3).toNanos()) {
                Thread.sleep(100);
            }
            double deliveredSeconds = (System.nanoTime() - started) / 1e9;
            long delivered = db.queryLong("SELECT count(*) FROM messages WHERE status = 'sent'") - 1;
            sampling.set(false);
            sampler.join();
            boolean onlyAcceptedOrBusy = outcomes.keySet().stream().allMatch(s -> s.equals("202") || s.equals("503"));
            System.out.printf(Locale.ROOT, "    %s in %.1f s; %d delivered %.1f s after the start; peak RSS %d MB%n",
                              outcomes, uploadSeconds, delivered, deliveredSeconds, peak.get() >> 20);
            report.row(String.format(Locale.ROOT, "%d clients × one 10 MiB attachment at once, MAX_REQUEST_SIZE=%d",
                                     UPLOADS, UPLOAD_MAX_REQUEST_SIZE),
                       outcomes + String.format(Locale.ROOT, " in %.1f s; peak RSS %d MB through the uploads and the "
                                                             + "delivery of the %d accepted (%.1f s)",
                                                uploadSeconds, peak.get() >> 20, delivered, deliveredSeconds),
                       "", "", "only 202/503; RSS ≤ 512 MB",
                       Report.yes(onlyAcceptedOrBusy && accepted > 0 && delivered == accepted
                                  && peak.get() <= UPLOAD_RSS_LIMIT));
        }
    }

    /** {@value #UPLOADS} clients send the request at once; how many got each status (or which error). */
    private static Map<String, Long> uploads(int port, byte[] request) throws InterruptedException {
        Map<String, Long> outcomes = new ConcurrentHashMap<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> clients = new ArrayList<>();
        for (int i = 0; i < UPLOADS; i++) {
            clients.add(Thread.ofPlatform().start(() -> {
                String outcome;
                try (HttpLoad.Client client = new HttpLoad.Client("127.0.0.1", port, Duration.ofSeconds(60))) {
                    start.await();
                    outcome = String.valueOf(client.exchange(request).status());
                } catch (IOException | InterruptedException e) {
                    outcome = "error: " + e.getMessage();
                }
                outcomes.merge(outcome, 1L, Long::sum);
            }));
        }
        start.countDown();
        for (Thread client : clients) {
            client.join();
        }
        return new TreeMap<>(outcomes);
    }

    /** A send with one attachment of {@value #UPLOAD_BYTES} random bytes (about 14 MB of base64). */
    private static String uploadBody() {
        byte[] content = new byte[UPLOAD_BYTES];
        new Random(13).nextBytes(content);
        return "{\"to\":\"user@example.com\",\"subject\":\"Upload\",\"text_body\":\"See the attachment.\","
               + "\"attachments\":[{\"filename\":\"data.bin\",\"content\":\""
               + Base64.getEncoder().encodeToString(content) + "\"}]}";
    }

    /** A peak row: the gateway's median against the better pgbench baseline; {@code more} adds to the gateway's cell. */
    private void peakRow(String measure, HttpLoad.Result gateway, Pgbench.Run c64, Pgbench.Run c8, String more,
                         double target) {
        double ratio = gateway.rate(202) / Math.max(c64.tps(), c8.tps());
        report.row(measure,
                   Report.rate(gateway.rate(202)) + " (p50 " + Report.millis(gateway.percentile(50)) + ", p99 "
                   + Report.millis(gateway.percentile(99)) + more + ")",
                   String.format(Locale.ROOT, "pgbench -c 64: %,.0f tps; -c 8: %,.0f tps", c64.tps(), c8.tps()),
                   Report.ratio(ratio, target) + " of the better", String.format(Locale.ROOT, "≥ %.2f", target),
                   Report.yes(ratio >= target));
    }

    /**
     * The half-peak latency row against pgbench at the same rate, held to SPEC §9: p50 ≤ 3 ms, p99
     * within {@link #halfPeakP99Bound}, every request a 202.
     */
    private void halfRow(String measure, HttpLoad.Result half, Pgbench.Latency pg64, Pgbench.Latency pg8) {
        System.out.printf(Locale.ROOT, "    pgbench at the same rate: -c 64 p99 %.2f ms, -c 8 p99 %.2f ms%n",
                          pg64.p99(), pg8.p99());
        double baseline = Math.min(pg64.p99(), pg8.p99());
        double bound = halfPeakP99Bound(baseline);
        double p50 = half.percentile(50);
        double p99 = half.percentile(99);
        boolean met = p50 <= 3 && p99 <= bound && half.count(202) == half.total() && half.timeouts() == 0;
        report.row(measure,
                   "p50 " + Report.millis(p50) + ", p99 " + Report.millis(p99) + " (" + half.statusSummary() + ")",
                   "pgbench at the same rate: -c 64 p99 " + Report.millis(pg64.p99()) + " (p50 "
                   + Report.millis(pg64.p50()) + "); -c 8 p99 " + Report.millis(pg8.p99()) + " (p50 "
                   + Report.millis(pg8.p50()) + ")",
                   Report.ratio(p99 / baseline) + "× the better p99; bound " + Report.millis(bound),
                   "p50 ≤ 3 ms; p99 ≤ pgbench's, or ≤ 15 ms where pgbench's is ≤ 5 ms", Report.yes(met));
    }

    /**
     * SPEC §9's bound on the half-peak p99, in ms, given pgbench's (the better of -c 64 and -c 8)
     * at the same rate: pgbench's own, except where that is ≤ 5 ms, where it is 15 ms. (Read as a
     * second condition on top of pgbench's p99, the 15 ms could never bind: a p99 no worse than
     * one of 5 ms is under 15 ms already.)
     */
    static double halfPeakP99Bound(double pgbenchP99) {
        return pgbenchP99 <= 5 ? 15 : pgbenchP99;
    }

    /** Start-to-ready again, delivery into the sink (cold, then sustained), a lone message, and the RSS. */
    private void deliveryPhases(double readyFresh, long rssAccept) throws Exception {
        phase("delivery: a fresh start with the default settings");
        db.sql("TRUNCATE messages, daily_usage CASCADE");
        List<String> drainKey = BenchKeys.create(db.target(), "drain-", 1, UNLIMITED);
        try (GatewayProcess gateway = GatewayProcess.start(settings(db, sink, freePort()),
                                                           scratch.resolve("gateway-delivery.log"))) {
            double readyRestart = gateway.readySeconds();
            double cold = drain("drain-1", "cold, right after the start");
            double sustained = drain("drain-1", "sustained, warm");
            report.row("deliveries/s, " + String.format(Locale.ROOT, "%,d", DRAIN) + " queued into the sink",
                       Report.rate(sustained) + " sustained (the first " + String.format(Locale.ROOT, "%,d", DRAIN)
                       + " after the start: " + Report.rate(cold) + ")", "", "", "≥ 1,000/s", Report.yes(sustained >= 1000));

            phase("a lone message, accept to 250, 20 times");
            List<Double> latencies = new ArrayList<>();
            try (HttpLoad.Client client = new HttpLoad.Client("127.0.0.1", gateway.port())) {
                client.exchange(HttpLoad.send(drainKey.getFirst(), MESSAGE));
                for (int i = 0; i < 20; i++) {
                    Thread.sleep(250);
                    long sent = System.nanoTime();
                    HttpLoad.Response response = client.exchange(HttpLoad.send(drainKey.getFirst(), MESSAGE));
                    String messageId = "<" + response.body().replaceFirst("^\\{\"id\":\"([^\"]+)\".*$", "$1") + "@bench.example>";
                    while (sink.firstArrival(messageId) == null) {
                        Thread.sleep(0, 200_000);
                    }
                    latencies.add((sink.firstArrival(messageId) - sent) / 1e6);
                }
            }
            latencies.sort(null);
            double p50 = latencies.get(latencies.size() / 2);
            Thread.sleep(500);
            double recorded = Double.parseDouble(db.queryString(
                    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at) * 1000) "
                    + "FROM (SELECT * FROM messages ORDER BY created_at DESC LIMIT 20) m"));
            System.out.printf(Locale.ROOT, "    request to sink: p50 %.1f ms, max %.1f ms; recorded accept to 250: p50 %.1f ms%n",
                              p50, latencies.getLast(), recorded);
            report.row("accept → 250, lone message (20 times, idle)",
                       "p50 " + Report.millis(p50) + " from the request to the sink (max "
                       + Report.millis(latencies.getLast()) + "); p50 " + Report.millis(recorded) + " recorded (created_at → sent_at)",
                       "", "", "p50 ≤ 50 ms", Report.yes(p50 <= 50));
            long rssEnd = gateway.residentBytes();
            report.row("server RSS", String.format(Locale.ROOT, "%d MB after the accept phases; %d MB after the "
                                                                  + "delivery-on phases; %d MB after the end-to-end "
                                                                  + "phase; %d MB at the end",
                                                    rssAccept >> 20, rssDeliveryOn >> 20, rssEndToEnd >> 20,
                                                    rssEnd >> 20), "", "", "≤ 300 MB",
                       Report.yes(Math.max(Math.max(rssEnd, rssAccept), Math.max(rssDeliveryOn, rssEndToEnd))
                                  <= 300L << 20));
            report.row("start to ready", String.format(Locale.ROOT, "%.2f s with the schema in place (the one-time "
                                                                      + "first start, which creates the schema and, where "
                                                                      + "this build has no ahead-of-time cache yet, is "
                                                                      + "the launcher's training run: %.2f s)",
                                                        readyRestart, readyFresh), "", "", "≤ 2 s",
                       Report.yes(readyRestart <= 2));
        }
        stdoutRow(List.of(scratch.resolve("gateway-first.log"), scratch.resolve("gateway-accept.log"),
                          scratch.resolve("gateway-delivery-on.log"), scratch.resolve("gateway-end-to-end.log"),
                          scratch.resolve("gateway-delivery.log")));
    }

    /** What the gateways of the default-settings phases (each stopped with SIGTERM) wrote to stdout: JSON lines only. */
    private void stdoutRow(List<Path> logs) throws IOException {
        long lines = 0;
        List<String> other = new ArrayList<>();
        for (Path log : logs) {
            lines += Files.readAllLines(log).size();
            other.addAll(GatewayProcess.nonJsonLines(log));
        }
        report.row("stdout from start to SIGTERM (first-start, accept, delivery-on, end-to-end and delivery gateways)",
                   String.format(Locale.ROOT, "%,d lines, %s", lines,
                                 other.isEmpty() ? "all JSON" : other.size() + " not JSON, the first: " + other.getFirst()),
                   "", "", "JSON lines only", Report.yes(other.isEmpty()));
    }

    /** Queues {@link #DRAIN} messages at once and times them out through the sink; returns messages per second. */
    private double drain(String keyName, String what) throws Exception {
        long before = sent();
        long started = System.nanoTime();
        db.sql("INSERT INTO messages (id, api_key_id, sender, to_recipients, subject, text_body) "
               + "SELECT gen_random_uuid(), k.id, 'bench@bench.example', ARRAY['user' || g || '@example.com'], "
               + "'Drain ' || g, 'Hello from the benchmark' FROM generate_series(1, " + DRAIN + ") g, "
               + "(SELECT id FROM api_keys WHERE name = '" + keyName + "') k");
        double seconds = (probe().awaitDrained(Duration.ofMillis(20), Duration.ofMinutes(5), "the drain") - started) / 1e9;
        if (sent() < before + DRAIN) {
            throw new IllegalStateException("the drain ended with messages not sent");
        }
        System.out.printf(Locale.ROOT, "    %s: %,d messages sent in %.2f s: %,.0f/s (sink: %,d transactions so far)%n",
                          what, DRAIN, seconds, DRAIN / seconds, sink.transactions());
        return DRAIN / seconds;
    }

    static Map<String, String> settings(TestDatabase db, SmtpSink sink, int port) {
        Map<String, String> settings = new HashMap<>();
        settings.put("DATABASE_URL", db.url());
        settings.put("SERVER_PORT", String.valueOf(port));
        settings.put("SERVER_HOST", "127.0.0.1");
        settings.put("SMTP_HOST", "127.0.0.1");
        settings.put("SMTP_PORT", String.valueOf(sink.port()));
        settings.put("SMTP_STARTTLS", "off");
        settings.put("SMTP_FROM_ADDRESS", "bench@bench.example");
        return settings;
    }

    static IntFunction<byte[]> requests(List<String> keys) {
        byte[][] prepared = keys.stream().map(k -> HttpLoad.send(k, MESSAGE)).toArray(byte[][]::new);
        return i -> prepared[Math.floorMod(i, prepared.length)];
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static <T> T median(List<T> runs, ToDoubleFunction<T> by) {
        List<T> sorted = new ArrayList<>(runs);
        sorted.sort((a, b) -> Double.compare(by.applyAsDouble(a), by.applyAsDouble(b)));
        return sorted.get(sorted.size() / 2);
    }

    /** {@code seconds} times {@link #SCALE}, in whole seconds (pgbench's unit), at least 1. */
    static Duration scaled(long seconds) {
        return Duration.ofSeconds(Math.max(1, Math.round(seconds * SCALE)));
    }

    /** {@code count} times {@link #SCALE}, at least {@code min}. */
    static int scaled(int count, int min) {
        return (int) Math.max(min, Math.round(count * SCALE));
    }

    /** When this process started, for the elapsed time on each phase line (what each phase costs of the total). */
    private static final long STARTED = System.nanoTime();

    static void phase(String what) {
        long seconds = (System.nanoTime() - STARTED) / 1_000_000_000;
        System.out.printf(Locale.ROOT, "- [%d:%02d] %s%n", seconds / 60, seconds % 60, what);
    }

    static void show(HttpLoad.Result result) {
        System.out.printf(Locale.ROOT, "    %,.0f/s accepted; p50 %.2f ms, p99 %.2f ms; %s%n", result.rate(202),
                          result.percentile(50), result.percentile(99), result.statusSummary());
    }
}
