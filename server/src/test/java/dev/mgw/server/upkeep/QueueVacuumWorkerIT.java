package dev.mgw.server.upkeep;

import java.time.Duration;
import java.util.Map;

import dev.mgw.core.upkeep.QueueVacuum;
import dev.mgw.server.Await;
import dev.mgw.server.TestGateway;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every gateway vacuums its queue tables once their dead rows pass the threshold, without being asked. */
class QueueVacuumWorkerIT {
    /** Past the gateway's threshold for a table of this size: two dead rows per message (claimed, recorded). */
    private static final int MESSAGES = 3_000;
    private static TestGateway gateway;

    @BeforeAll
    static void start() {
        gateway = TestGateway.start(QueueVacuumWorkerIT.class, Map.of("DELIVERY_WORKERS", "0"));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void deadRowsLeftByClaimsAndOutcomesAreVacuumedAwayByTheGatewayItself() {
        gateway.key("shop", 100);
        gateway.db().sql("INSERT INTO messages (id, api_key_id, sender, to_recipients, subject, text_body) "
                         + "SELECT gen_random_uuid(), k.id, 'noreply@example.com', ARRAY['to@example.com'], 'Hi', 'Body' "
                         + "FROM api_keys k, generate_series(1, " + MESSAGES + ") WHERE k.name = 'shop'");
        gateway.db().sql("UPDATE messages SET status = 'sending'");
        gateway.db().sql("UPDATE messages SET status = 'sent'");
        assertTrue(2 * MESSAGES > QueueVacuum.BASE + QueueVacuum.FRACTION * MESSAGES);

        Await.until("the messages' dead rows vacuumed", Duration.ofSeconds(15),
                    () -> deadRows() == 0 && vacuums() > 0);
        assertEquals(MESSAGES, gateway.db().queryLong("SELECT count(*) FROM messages WHERE status = 'sent'"));
    }

    private static long deadRows() {
        return gateway.db().queryLong("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'messages' "
                                      + "AND schemaname = current_schema()");
    }

    private static long vacuums() {
        return gateway.db().queryLong("SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'messages' "
                                      + "AND schemaname = current_schema()");
    }
}
