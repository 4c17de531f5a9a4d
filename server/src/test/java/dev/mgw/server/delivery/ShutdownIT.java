package dev.mgw.server.delivery;

import java.time.Duration;
import java.util.Map;

import dev.mgw.core.testing.TcpProxy;
import dev.mgw.server.Await;
import dev.mgw.server.GatewayServerTest;
import dev.mgw.server.TestRelay;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Stopping delivery: the send in flight gets its time, claimed-but-unsent messages go back to the queue. */
class ShutdownIT extends GatewayServerTest {
    private static TestRelay relay;
    private static TcpProxy relayProxy;

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        relay = new TestRelay();
        relayProxy = TcpProxy.to("127.0.0.1", relay.port());
        relayProxy.stall();
        start(builder, ShutdownIT.class, Map.of("SMTP_HOST", "127.0.0.1",
                                                "SMTP_PORT", String.valueOf(relayProxy.port()),
                                                "SMTP_FROM_ADDRESS", "noreply@acme.example",
                                                "SMTP_TIMEOUT_SECONDS", "2",
                                                "DELIVERY_WORKERS", "1"));
    }

    @AfterAll
    static void stopRelay() {
        relayProxy.close();
        relay.close();
    }

    @Test
    void claimedButUnsentMessagesReturnToTheQueue() {
        gw.key("shutdown", 100);
        gw.db().sql("INSERT INTO messages (id, api_key_id, sender, to_recipients, subject, text_body) "
                    + "SELECT gen_random_uuid(), k.id, 'noreply@acme.example', ARRAY['u' || g || '@example.com'], "
                    + "'Stop ' || g, 'Body' FROM generate_series(1, 5) g, api_keys k WHERE k.name = 'shutdown'");
        Await.until("the worker to claim the batch", Duration.ofSeconds(5),
                    () -> gw.db().queryLong("SELECT count(*) FROM messages WHERE status = 'sending'") == 5);
        Await.until("the first send to be in flight", Duration.ofSeconds(5), () -> relayProxy.acceptedConnections() > 0);

        long started = System.nanoTime();
        assertTrue(gw.gateway().delivery().stop(Duration.ofSeconds(10)), "finished within the grace period");
        long millis = (System.nanoTime() - started) / 1_000_000;
        assertTrue(millis < 10_000, "stopped in " + millis + " ms");

        assertEquals(0, gw.db().queryLong("SELECT count(*) FROM messages WHERE status = 'sending'"), "no claim left behind");
        assertEquals(1, gw.db().queryLong("SELECT count(*) FROM messages WHERE attempts = 1 AND status = 'queued' "
                                          + "AND last_error IS NOT NULL"), "the one in flight timed out and will be retried");
        assertEquals(4, gw.db().queryLong("SELECT count(*) FROM messages WHERE attempts = 0 AND status = 'queued' "
                                          + "AND next_attempt_at <= now()"), "the unsent four are queued, attempt not counted");
    }
}
