package dev.mgw.server.delivery;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import dev.mgw.core.config.ConfigLoader;
import dev.mgw.server.Await;
import dev.mgw.server.Gateway;
import dev.mgw.server.GatewayServerTest;
import dev.mgw.server.TestRelay;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two gateway processes' worker pools on one database: every message goes out exactly once. */
class TwoWorkerPoolsIT extends GatewayServerTest {
    private static final int MESSAGES = 1000;
    private static TestRelay relay;
    private static Gateway second;

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        relay = new TestRelay();
        Map<String, String> settings = Map.of("SMTP_HOST", "127.0.0.1",
                                              "SMTP_PORT", String.valueOf(relay.port()),
                                              "SMTP_FROM_ADDRESS", "noreply@acme.example",
                                              "DELIVERY_WORKERS", "4");
        start(builder, TwoWorkerPoolsIT.class, settings);
        Map<String, String> env = new HashMap<>(settings);
        env.put("DATABASE_URL", gw.db().url());
        env.put("DATABASE_MIGRATE", "false");
        second = Gateway.create(ConfigLoader.fromValues(env), Clock.systemUTC());
        second.start();
    }

    @AfterAll
    static void stopSecond() {
        second.close();
        relay.close();
    }

    @Test
    void twoPoolsDrainingAThousandMessagesDeliverEachExactlyOnce() {
        gw.key("drain", MESSAGES);
        gw.db().sql("INSERT INTO messages (id, api_key_id, sender, to_recipients, subject, text_body) "
                    + "SELECT gen_random_uuid(), k.id, 'noreply@acme.example', ARRAY['user' || g || '@example.com'], "
                    + "'Drain ' || g, 'Body ' || g FROM generate_series(1, " + MESSAGES + ") g, api_keys k "
                    + "WHERE k.name = 'drain'");
        Await.until("all messages sent", Duration.ofSeconds(60),
                    () -> gw.db().queryLong("SELECT count(*) FROM messages WHERE status = 'sent'") == MESSAGES);

        Map<String, Long> deliveries = relay.envelopes().stream()
                .collect(Collectors.groupingBy(TestRelay.Envelope::messageId, Collectors.counting()));
        assertEquals(MESSAGES, deliveries.size(), "every message reached the relay");
        assertTrue(deliveries.values().stream().allMatch(n -> n == 1), "none twice");
        assertEquals(MESSAGES, gw.db().queryLong("SELECT count(*) FROM messages WHERE attempts = 1"));
        Map<String, Long> byTransport = gw.db().query("SELECT transport, count(*) FROM messages GROUP BY transport",
                                                      rs -> {
                                                          Map<String, Long> counts = new HashMap<>();
                                                          while (rs.next()) {
                                                              counts.put(rs.getString(1), rs.getLong(2));
                                                          }
                                                          return counts;
                                                      });
        assertEquals(Map.of("smtp", (long) MESSAGES), byTransport);
        assertEquals(MESSAGES, relay.envelopes().stream().map(TestRelay.Envelope::recipients)
                .collect(Collectors.toMap(Function.identity(), r -> 1, Integer::sum)).size());
    }
}
