package dev.mgw.cli;

import java.util.Map;

import dev.mgw.core.testing.TestDatabase;

import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code mgw messages purge [--dry-run]}: retention now, with the settings the gateway uses. */
class MgwPurgeIT {
    private static TestDatabase db;
    private static MgwRunner mgw;

    @BeforeAll
    static void messages() {
        db = TestDatabase.migrated(MgwPurgeIT.class);
        mgw = new MgwRunner(db);
        assertEquals(0, mgw.run("keys", "create", "--name", "shop", "--key", "sk_shop_key_0000000001").exit());
        insert("sent", "40 days");
        insert("failed", "10 days");
        insert("sent", "1 day");
        insert("queued", "90 days");
        insert("sending", "90 days");
    }

    @AfterAll
    static void drop() {
        db.close();
    }

    @Test
    void dryRunCountsThenPurgeRemovesAndSaysWhat() {
        MgwRunner.Result dryRun = mgw.run("messages", "purge", "--dry-run");
        assertEquals(0, dryRun.exit(), dryRun::toString);
        assertTrue(dryRun.out().startsWith("Would remove (RETENTION_BODY_DAYS=7, RETENTION_DAYS=30):\n"), dryRun::toString);
        assertTrue(dryRun.out().matches("(?s).*\nmessages\\s+1\n.*"), dryRun::toString);
        assertTrue(dryRun.out().matches("(?s).*\nmessage bodies\\s+1\n.*"), dryRun::toString);
        assertEquals(5, db.queryLong("SELECT count(*) FROM messages"), "a dry run removes nothing");

        JsonObject json = mgw.run("messages", "purge", "--dry-run", "--json").json();
        assertEquals(1, json.getJsonObject("would_remove").getInt("messages"));

        MgwRunner.Result purge = mgw.run("messages", "purge", "--json");
        assertEquals(0, purge.exit(), purge::toString);
        JsonObject removed = purge.<JsonObject>json().getJsonObject("removed");
        assertEquals(1, removed.getInt("messages"));
        assertEquals(1, removed.getInt("message_bodies"), "the 40-day-old message went whole, the 10-day-old lost its body");
        assertEquals(4, db.queryLong("SELECT count(*) FROM messages"));
        assertEquals(2, db.queryLong("SELECT count(*) FROM messages WHERE status IN ('queued', 'sending') "
                                     + "AND text_body IS NOT NULL"), "queued and sending stay whole");

        MgwRunner.Result again = mgw.run("messages", "purge");
        assertEquals(0, again.exit(), again::toString);
        assertTrue(again.out().startsWith("Removed (RETENTION_BODY_DAYS=7, RETENTION_DAYS=30):\n"), again::toString);
        assertTrue(again.out().matches("(?s).*\nmessages\\s+0\n.*"), again::toString);
    }

    @Test
    void theRetentionSettingsAreTheGatewaysOwn() {
        MgwRunner shortRetention = new MgwRunner(db, Map.of("RETENTION_BODY_DAYS", "1", "RETENTION_DAYS", "1"));
        MgwRunner.Result dryRun = shortRetention.run("messages", "purge", "--dry-run");
        assertTrue(dryRun.out().startsWith("Would remove (RETENTION_BODY_DAYS=1, RETENTION_DAYS=1):\n"), dryRun::toString);
        MgwRunner.Result wrong = new MgwRunner(db, Map.of("RETENTION_DAYS", "3")).run("messages", "purge", "--dry-run");
        assertEquals(1, wrong.exit(), wrong::toString);
        assertTrue(wrong.err().contains("RETENTION_DAYS"), wrong::toString);
    }

    /** A message that finished (or, queued or sending, was last changed) this long ago. */
    private static void insert(String status, String ago) {
        db.sql("INSERT INTO messages (id, api_key_id, sender, to_recipients, subject, text_body, status, updated_at) "
               + "SELECT gen_random_uuid(), id, 'noreply@example.com', ARRAY['to@example.com'], 'Hi', 'Body', '"
               + status + "', now() - interval '" + ago + "' FROM api_keys WHERE name = 'shop'");
    }
}
