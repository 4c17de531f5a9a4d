package dev.mgw.server.retention;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import dev.mgw.core.testing.MutableClock;
import dev.mgw.server.Await;
import dev.mgw.server.TestGateway;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every gateway runs retention by itself; a short retention set through the operators' variables. */
class RetentionWorkerIT {
    private static final MutableClock CLOCK = new MutableClock(Instant.now());
    private static TestGateway gateway;

    @BeforeAll
    static void start() {
        gateway = TestGateway.start(RetentionWorkerIT.class, Map.of("RETENTION_BODY_DAYS", "2", "RETENTION_DAYS", "5"),
                                    CLOCK);
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void theGatewayStripsBodiesThenRemovesFinishedMessagesAndLeavesQueuedOnes() {
        gateway.key("shop", 100);
        insert("sent");
        insert("failed");
        insert("queued");

        CLOCK.advance(Duration.ofDays(3));
        gateway.gateway().retention().wake();
        Await.until("bodies removed", Duration.ofSeconds(10),
                    () -> count("bodies_removed_at IS NOT NULL AND text_body IS NULL") == 2);
        assertEquals(3, count("true"));

        CLOCK.advance(Duration.ofDays(3));
        gateway.gateway().retention().wake();
        Await.until("finished messages removed", Duration.ofSeconds(10), () -> count("true") == 1);
        assertEquals(1, count("status = 'queued' AND text_body = 'Body' AND bodies_removed_at IS NULL"));
    }

    private static long count(String condition) {
        return gateway.db().queryLong("SELECT count(*) FROM messages WHERE " + condition);
    }

    private static void insert(String status) {
        gateway.db().sql("INSERT INTO messages (id, api_key_id, sender, to_recipients, subject, text_body, status, send_at, "
                         + "next_attempt_at) SELECT gen_random_uuid(), id, 'noreply@example.com', ARRAY['to@example.com'], "
                         + "'Hi', 'Body', '" + status + "', now() + interval '1 day', now() + interval '1 day' "
                         + "FROM api_keys WHERE name = 'shop'");
    }
}
