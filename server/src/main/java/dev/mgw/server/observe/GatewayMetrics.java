package dev.mgw.server.observe;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import dev.mgw.core.db.Database;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.FunctionalCounter;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.Meter;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;
import io.helidon.metrics.providers.micrometer.MicrometerPrometheusFormatter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;

/**
 * The gateway's meters (SPEC §5.3) on Helidon's metrics registry, exposed in Prometheus text
 * format: requests by method, route template and status; request latency; sends by status;
 * quota checks; auth failures; queue depth and the age of the oldest due message; accept-to-250
 * latency; pool gauges; JVM and process.
 */
public final class GatewayMetrics implements AutoCloseable {
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    private static final CounterFamily SENDS = new CounterFamily(
            "email_sends", "Messages by outcome: queued (accepted), sent, retry, failed",
            "status", List.of("queued", "sent", "retry", "failed"));
    private static final CounterFamily RATE_LIMIT_CHECKS = new CounterFamily(
            "rate_limit_checks", "Daily quota checks by result", "result", List.of("allowed", "exceeded"));
    /** By the reasons {@link dev.mgw.server.auth.Authenticator} gives. */
    private static final CounterFamily AUTH_FAILURES = new CounterFamily(
            "auth_failures", "Failed authentications by reason", "reason", List.of("missing", "invalid", "revoked", "throttled"));
    private static final CounterFamily WEBHOOK_DELIVERIES = new CounterFamily(
            "webhook_deliveries", "Webhook attempts by outcome: delivered, retry, failed",
            "result", List.of("delivered", "retry", "failed"));
    /** By the results {@link dev.mgw.server.submission.SubmissionListener} gives its connections. */
    private static final CounterFamily SMTP_SUBMISSION_SESSIONS = new CounterFamily(
            "smtp_submission_sessions", "SMTP submission connections by result: submitted (at least one message "
                                        + "accepted), no_message, auth_failed, limited (closed by a limit)",
            "result", List.of("submitted", "no_message", "auth_failed", "limited"));
    /**
     * The counter series that exist from the start at 0, one per label value (SPEC §14), so that
     * dashboards and alerts see a 0 rather than no data; a feature with counters of its own adds
     * its family here.
     */
    private static final List<CounterFamily> FROM_THE_START = List.of(SENDS, RATE_LIMIT_CHECKS, AUTH_FAILURES,
                                                                       WEBHOOK_DELIVERIES, SMTP_SUBMISSION_SESSIONS);
    private static final double[] NO_PERCENTILES = new double[0];
    private static final Duration[] REQUEST_BUCKETS = millis(1, 2.5, 5, 10, 15, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000);
    private static final Duration[] DELIVERY_BUCKETS = millis(10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000,
                                                              60_000, 300_000, 900_000, 3_600_000, 21_600_000, 86_400_000);
    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
    private static final AtomicBoolean PROCESS_METERS = new AtomicBoolean();
    private static final long DATABASE_READ_MAX_AGE_NANOS = 5_000_000_000L;

    private final MeterRegistry registry = Metrics.globalRegistry();
    private final Map<String, Counter> requests = new ConcurrentHashMap<>();
    private final Map<String, Timer> latencies = new ConcurrentHashMap<>();
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Timer delivery;
    private final Timer webhookDelivery;
    private final List<Meter> owned = new ArrayList<>();
    private final List<Object> sources = new ArrayList<>();

    public GatewayMetrics() {
        processMeters(registry);
        delivery = registry.getOrCreate(Timer.builder("email_delivery")
                                                .description("Time from accepting a message to the relay's 250")
                                                .percentiles(NO_PERCENTILES)
                                                .buckets(DELIVERY_BUCKETS));
        FROM_THE_START.forEach(family -> family.values().forEach(value -> counter(family, value)));
        webhookDelivery = registry.getOrCreate(Timer.builder("webhook_delivery")
                                                       .description("Time from a webhook event to its endpoint's 2xx")
                                                       .percentiles(NO_PERCENTILES)
                                                       .buckets(DELIVERY_BUCKETS));
    }

    /** One finished HTTP request. */
    public void request(String method, String route, int status, long nanos) {
        String m = METHODS.contains(method) ? method : "OTHER";
        requests.computeIfAbsent(m + ' ' + route + ' ' + status, k -> registry.getOrCreate(
                Counter.builder("http_requests")
                        .description("HTTP requests by method, route template and status")
                        .tags(List.of(Tag.create("method", m), Tag.create("route", route),
                                      Tag.create("status", String.valueOf(status))))))
                .increment();
        latencies.computeIfAbsent(m + ' ' + route, k -> registry.getOrCreate(
                Timer.builder("http_request_duration")
                        .description("HTTP request latency by method and route template")
                        .tags(List.of(Tag.create("method", m), Tag.create("route", route)))
                        .percentiles(NO_PERCENTILES)
                        .buckets(REQUEST_BUCKETS)))
                .record(Duration.ofNanos(nanos));
    }

    /** A message changed state: queued (accepted), sent, retry or failed. */
    public void send(String status) {
        counter(SENDS, status).increment();
    }

    /** A quota check: allowed or exceeded. */
    public void rateLimit(boolean allowed) {
        counter(RATE_LIMIT_CHECKS, allowed ? "allowed" : "exceeded").increment();
    }

    /** A failed authentication: missing, invalid, revoked or throttled. */
    public void authFailure(String reason) {
        counter(AUTH_FAILURES, reason).increment();
    }

    /** An SMTP submission connection ended: submitted, no_message, auth_failed or limited. */
    public void submissionSession(String result) {
        counter(SMTP_SUBMISSION_SESSIONS, result).increment();
    }

    /** Accept-to-250 latency of a delivered message. */
    public void delivered(Duration acceptToSent) {
        delivery.record(acceptToSent);
    }

    /** A webhook attempt was recorded: delivered, retry or failed. */
    public void webhook(String result) {
        webhookCounter(result).increment();
    }

    /** Event-to-2xx latency of a delivered webhook. */
    public void webhookDelivered(Duration eventToDelivered) {
        webhookDelivery.record(eventToDelivered);
    }

    /** Webhook deliveries pending (waiting or being attempted), counted at most every five seconds. */
    public void webhookQueueDepth(LongSupplier depth) {
        CachedValue cached = new CachedValue(depth);
        own(registry.getOrCreate(Gauge.builder("webhook_queue_depth", cached::get)
                                         .description("Webhook deliveries pending, all processes")));
    }

    /** The bcrypt checks the authenticator ran (cache misses). */
    public void bcryptChecks(LongSupplier checks) {
        // Micrometer holds the state of function meters weakly: this list keeps it alive
        sources.add(checks);
        own(registry.getOrCreate(FunctionalCounter.builder("auth_bcrypt_checks", checks, LongSupplier::getAsLong)
                                         .description("bcrypt verifications (API key cache misses)")));
    }

    /** Messages queued or being sent, counted at most every five seconds. */
    public void queueDepth(LongSupplier depth) {
        CachedValue cached = new CachedValue(depth);
        own(registry.getOrCreate(Gauge.builder("email_queue_depth", cached::get)
                                         .description("Messages queued or being sent, all processes")));
    }

    /** Seconds the oldest due message has waited since it became due (0 when none is), read at most every five seconds. */
    public void oldestQueuedAge(LongSupplier seconds) {
        CachedValue cached = new CachedValue(seconds);
        own(registry.getOrCreate(Gauge.builder("email_oldest_queued_age_seconds", cached::get)
                                         .description("Seconds the oldest due message has waited since it became due, "
                                                      + "all processes; 0 when none is due")));
    }

    /**
     * Connection pool gauges (active, idle, and requests waiting for a connection), and whether
     * this process reaches the database: {@code db_up}, 1 or 0 from a {@code SELECT 1} at most every
     * five seconds, what the database-down alert watches.
     */
    public void pool(Database database) {
        own(poolGauge("active", () -> database.poolStats().active()));
        own(poolGauge("idle", () -> database.poolStats().idle()));
        own(poolGauge("waiting", () -> database.poolStats().waiting()));
        CachedValue up = new CachedValue(() -> {
            try {
                database.ping();
                return 1;
            } catch (RuntimeException e) {
                return 0;
            }
        });
        own(registry.getOrCreate(Gauge.builder("db_up", up::get)
                                         .description("1 when this process reached the database at its latest check "
                                                      + "(at most every 5 s), else 0")));
    }

    /** Everything, in Prometheus text format. */
    public String scrape() {
        return MicrometerPrometheusFormatter.builder(registry).build().format().map(Object::toString).orElse("");
    }

    @Override
    public void close() {
        owned.forEach(registry::remove);
        owned.clear();
    }

    private Gauge<Integer> poolGauge(String state, Supplier<Integer> value) {
        return registry.getOrCreate(Gauge.builder("db_pool_connections", value)
                                            .description("Database connections of this process by state")
                                            .tags(List.of(Tag.create("state", state))));
    }

    private Counter counter(CounterFamily family, String value) {
        return counters.computeIfAbsent(family.name() + ' ' + value, k -> registry.getOrCreate(
                Counter.builder(family.name())
                        .description(family.description())
                        .tags(List.of(Tag.create(family.label(), value)))));
    }

    private Counter webhookCounter(String result) {
        return counter(WEBHOOK_DELIVERIES, result);
    }

    private void own(Meter meter) {
        owned.add(meter);
    }

    /**
     * JVM and process meters, once per JVM: Micrometer's binders on the registry underneath, with
     * Prometheus-conventional names, and the resident set size read from /proc.
     */
    private static void processMeters(MeterRegistry registry) {
        if (!PROCESS_METERS.compareAndSet(false, true)) {
            return;
        }
        io.micrometer.core.instrument.MeterRegistry micrometer =
                registry.unwrap(io.micrometer.core.instrument.MeterRegistry.class);
        // "system_cpu_count" is a gauge with a _count suffix, which promtool rejects; Micrometer 1.15's
        // "process.cpu.time" comes out as process_cpu_time_ns_total, a unit promtool rejects too, and
        // duplicates process_cpu_seconds_total
        micrometer.config().meterFilter(MeterFilter.denyNameStartsWith("system.cpu.count"));
        micrometer.config().meterFilter(MeterFilter.denyNameStartsWith("process.cpu.time"));
        new JvmMemoryMetrics().bindTo(micrometer);
        new JvmThreadMetrics().bindTo(micrometer);
        gcMeters(micrometer);
        new ClassLoaderMetrics().bindTo(micrometer);
        new ProcessorMetrics().bindTo(micrometer);
        new UptimeMetrics().bindTo(micrometer);
        new FileDescriptorMetrics().bindTo(micrometer);
        io.micrometer.core.instrument.Gauge.builder("process.resident.memory", GatewayMetrics::residentBytes)
                .baseUnit("bytes")
                .description("Resident set size of the process")
                .register(micrometer);
    }

    /**
     * Collections and collection time per collector, registered here once. Not Micrometer's
     * JvmGcMetrics: it registers a pause timer for each new (action, cause) from the JVM's
     * notification thread, straight on the Micrometer registry, whose lock it then holds while
     * Helidon's listener waits for Helidon's registry lock; a request thread creating a meter holds
     * those two locks in the other order, and both hang (seen as a deadlock in a test run).
     */
    private static void gcMeters(io.micrometer.core.instrument.MeterRegistry micrometer) {
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            io.micrometer.core.instrument.FunctionCounter.builder("jvm.gc.collections", gc, GarbageCollectorMXBean::getCollectionCount)
                    .tag("gc", gc.getName())
                    .description("Collections run by this collector")
                    .register(micrometer);
            io.micrometer.core.instrument.FunctionCounter.builder("jvm.gc.collection.time", gc, bean -> bean.getCollectionTime() / 1000.0)
                    .tag("gc", gc.getName())
                    .baseUnit("seconds")
                    .description("Time spent in this collector (pauses and, for concurrent collectors, cycles)")
                    .register(micrometer);
        }
    }

    /** VmRSS of this process, in bytes (NaN where /proc is not there). */
    public static double residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }

    private static Duration[] millis(double... values) {
        Duration[] durations = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            durations[i] = Duration.ofNanos((long) (values[i] * 1_000_000));
        }
        return durations;
    }

    /**
     * A counter with one label, and the values of that label the SPEC names.
     *
     * @param name   without the {@code _total} the exposition adds
     */
    private record CounterFamily(String name, String description, String label, List<String> values) {
    }

    /** A value that is expensive to read (from the database), read at most every few seconds. */
    private static final class CachedValue {
        private final LongSupplier source;
        private volatile long value;
        private volatile long readAt = System.nanoTime() - 2 * DATABASE_READ_MAX_AGE_NANOS;

        CachedValue(LongSupplier source) {
            this.source = source;
        }

        synchronized Long get() {
            if (System.nanoTime() - readAt > DATABASE_READ_MAX_AGE_NANOS) {
                try {
                    value = source.getAsLong();
                } catch (RuntimeException e) {
                    // keep the last value while the database is away
                }
                readAt = System.nanoTime();
            }
            return value;
        }
    }
}
