package dev.mgw.server.webhooks;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.mgw.core.db.Database;
import dev.mgw.core.keys.ApiKeys;
import dev.mgw.core.keys.KeySecrets;
import dev.mgw.core.keys.NewKey;
import dev.mgw.core.testing.TestDatabase;
import dev.mgw.server.ApiClient;
import dev.mgw.server.Await;
import dev.mgw.server.TestGateway;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An event is never lost: a gateway process ({@code java -jar target/mail-gateway.jar}, as
 * operators run it) is killed with SIGKILL while one event's POST is in flight and another event
 * is committed but not yet attempted; a new gateway then delivers both, with their webhook-ids.
 */
class WebhookCrashIT {
    private static final Path JAR = Path.of("target", "mail-gateway.jar");
    private static final Duration WAIT = Duration.ofSeconds(20);
    private TestDatabase db;
    private Receiver receiver;
    private Process child;
    private String key;

    @BeforeEach
    void setUp() {
        assertTrue(Files.isRegularFile(JAR), "mvn package leaves " + JAR.toAbsolutePath());
        db = TestDatabase.migrated(WebhookCrashIT.class);
        receiver = new Receiver();
        try (Database database = Database.open(db.target(), 1, false, Database.Limits.SERVER)) {
            key = new ApiKeys(database, new KeySecrets(4), Clock.systemUTC())
                    .create(new NewKey("crash", 100, Optional.empty(), Optional.empty())).secret();
        }
    }

    @AfterEach
    void tearDown() {
        if (child != null) {
            child.destroyForcibly();
        }
        receiver.close();
        db.close();
    }

    @Test
    void eventsOfAGatewayKilledWithSigkillAreDeliveredAfterARestartWithTheirWebhookIds() throws Exception {
        AtomicInteger hangs = new AtomicInteger();
        receiver.answer(request -> request.path().equals("/in-flight") && hangs.getAndIncrement() == 0
                ? Receiver.Reply.status(204).after(Duration.ofMinutes(1))
                : Receiver.Reply.status(204));
        ApiClient first = startChild();
        String inFlight = queueTest(first, "/in-flight");
        Receiver.Request posted = receiver.next(WAIT);
        String committed = queueTest(first, "/committed");
        kill();
        assertEquals("pending 1", row(inFlight), "claimed and posted, its outcome never recorded");
        assertEquals("pending 0", row(committed), "committed, never attempted: the one worker was busy");

        db.sql("UPDATE webhook_deliveries SET next_attempt_at = now()");
        TestGateway second = TestGateway.start(db, Map.of("WEBHOOK_WORKERS", "1", "WEBHOOK_ALLOW_HTTP", "true",
                                                          "WEBHOOK_ALLOW_PRIVATE", "true"), Clock.systemUTC());
        try {
            Await.until("the restarted gateway to deliver both", WAIT,
                        () -> row(inFlight).startsWith("delivered") && row(committed).startsWith("delivered"));
        } finally {
            second.gateway().close();
            second.databaseProxy().close();
        }
        List<String> ids = receiver.all().stream().map(r -> r.header("webhook-id")).toList();
        assertEquals(3, ids.size(), ids::toString);
        assertEquals(inFlight, ids.getFirst());
        assertEquals(Set.of(inFlight, committed), Set.copyOf(ids.subList(1, 3)), "each delivered after the restart");
        assertEquals(posted.text(), receiver.all().stream().filter(r -> r.path().equals("/in-flight")).toList().getLast()
                .text(), "the same body again");
    }

    private String queueTest(ApiClient gateway, String path) {
        ApiClient.Response created = gateway.request("POST", "/api/v1/webhooks", key,
                                                     "{\"url\": \"" + receiver.url("127.0.0.1", path) + "\"}",
                                                     "Content-Type", "application/json");
        assertEquals(201, created.status(), created::toString);
        ApiClient.Response queued = gateway.request("POST", "/api/v1/webhooks/" + created.json().getString("id") + "/test",
                                                    key, null);
        assertEquals(202, queued.status(), queued::toString);
        return queued.json().getString("event_id");
    }

    private String row(String eventId) {
        return db.queryString("SELECT status || ' ' || attempts FROM webhook_deliveries WHERE event_id = '" + eventId + "'");
    }

    /** {@code java -jar target/mail-gateway.jar} on a free port, ready to serve. */
    private ApiClient startChild() throws IOException, InterruptedException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                                                       "-Xmx128m", "-jar", JAR.toString()));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(Path.of("target", "webhook-crash-gateway.log").toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("WEBHOOK_") || name.startsWith("DATABASE_")
                                                        || name.startsWith("SMTP_") || name.startsWith("DELIVERY_"));
        builder.environment().putAll(Map.of("MGW_CONFIG", "",
                                            "DATABASE_URL", db.url(),
                                            "SERVER_HOST", "127.0.0.1",
                                            "SERVER_PORT", String.valueOf(port),
                                            "DELIVERY_WORKERS", "0",
                                            "WEBHOOK_WORKERS", "1",
                                            "WEBHOOK_TIMEOUT_SECONDS", "60",
                                            "WEBHOOK_ALLOW_HTTP", "true",
                                            "WEBHOOK_ALLOW_PRIVATE", "true"));
        child = builder.start();
        ApiClient client = new ApiClient(URI.create("http://127.0.0.1:" + port));
        Await.until("the gateway process to be ready", Duration.ofSeconds(60), () -> {
            assertTrue(child.isAlive(), "the gateway process exited; see target/webhook-crash-gateway.log");
            try {
                return client.get("/health/ready", null).status() == 200;
            } catch (IllegalStateException notYet) {
                return false;
            }
        });
        return client;
    }

    /** SIGKILL: no shutdown hook, nothing recorded on the way out. */
    private void kill() throws InterruptedException {
        child.destroyForcibly();
        assertTrue(child.waitFor(10, TimeUnit.SECONDS));
        assertEquals(137, child.exitValue(), "killed by SIGKILL");
    }
}
