package dev.mgw.cli;

import dev.mgw.core.testing.TestDatabase;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MgwWebhooksIT {
    private static TestDatabase db;
    private static MgwRunner mgw;

    @BeforeAll
    static void keys() {
        db = TestDatabase.migrated(MgwWebhooksIT.class);
        mgw = new MgwRunner(db);
        assertEquals(0, mgw.run("keys", "create", "--name", "shop", "--key", "sk_shop_key_0000000001").exit());
        assertEquals(0, mgw.run("keys", "create", "--name", "blog", "--key", "sk_blog_key_0000000002").exit());
    }

    @AfterAll
    static void drop() {
        db.close();
    }

    @Test
    void createPrintsTheSecretOnceAndListShowsTheEndpoint() {
        MgwRunner.Result created = mgw.run("webhooks", "create", "--key", "shop", "--url", "https://hooks.example.com/shop",
                                           "--events", "message.bounced,message.failed");
        assertEquals(0, created.exit(), created::toString);
        assertTrue(created.out().matches("(?s)Created webhook endpoint [0-9a-f-]{36}\n.*"), created::toString);
        assertTrue(created.out().contains("  events:  message.bounced, message.failed\n"), created::toString);
        assertTrue(created.out().matches("(?s).*secret:\\s+whsec_[A-Za-z0-9+/=]{44}\n.*"), created::toString);

        JsonArray listed = mgw.run("webhooks", "list", "--key", "shop", "--json").json();
        JsonObject endpoint = listed.getValuesAs(JsonObject.class).stream()
                .filter(e -> e.getString("url").equals("https://hooks.example.com/shop")).findFirst().orElseThrow();
        assertTrue(endpoint.getBoolean("enabled"));
        assertFalse(endpoint.containsKey("secret"), "shown only at create and rotate");
        assertEquals(0, mgw.run("webhooks", "list", "--key", "blog", "--json").<JsonArray>json().size());
        MgwRunner.Result table = mgw.run("webhooks", "list");
        assertTrue(table.out().lines().findFirst().orElseThrow()
                           .matches("ID\\s+KEY ID\\s+STATUS\\s+URL\\s+EVENTS\\s+LAST DELIVERY\\s+CODE"), table::toString);
        assertTrue(table.out().contains("message.bounced,message.failed"), table::toString);
    }

    @Test
    void disableEnableRotateAndDelete() {
        String id = create("https://hooks.example.com/lifecycle");
        JsonObject disabled = mgw.run("webhooks", "disable", id, "--json").json();
        assertFalse(disabled.getBoolean("enabled"));
        assertEquals("disabled by hand", disabled.getString("disabled_reason"));
        MgwRunner.Result enabled = mgw.run("webhooks", "enable", id);
        assertEquals(0, enabled.exit(), enabled::toString);
        assertTrue(enabled.out().startsWith("Enabled webhook endpoint " + id), enabled::toString);

        String before = db.queryString("SELECT secret FROM webhook_endpoints WHERE id = '" + id + "'");
        JsonObject rotated = mgw.run("webhooks", "rotate-secret", id, "--json").json();
        assertNotEquals(before, rotated.getString("secret"));
        assertFalse(rotated.isNull("previous_secret_expires_at"), "the old secret signs for 24 h");

        assertEquals(0, mgw.run("webhooks", "delete", id).exit());
        MgwRunner.Result again = mgw.run("webhooks", "delete", id);
        assertEquals(1, again.exit(), again::toString);
        assertEquals("mgw: no webhook endpoint " + id, again.err().strip());
    }

    @Test
    void theUrlRulesAndLimitsHold() {
        MgwRunner.Result http = mgw.run("webhooks", "create", "--key", "blog", "--url", "http://hooks.example.com/");
        assertEquals(1, http.exit(), http::toString);
        assertEquals("mgw: url must be an https:// URL", http.err().strip());
        MgwRunner.Result internal = mgw.run("webhooks", "create", "--key", "blog", "--url", "https://169.254.169.254/");
        assertTrue(internal.err().contains("link-local"), internal::toString);
        MgwRunner.Result unknownType = mgw.run("webhooks", "create", "--key", "blog", "--url", "https://x.example.com/",
                                               "--events", "message.opened");
        assertEquals(1, unknownType.exit(), unknownType::toString);
        assertTrue(unknownType.err().contains("events[0] 'message.opened' is not an event type"), unknownType::toString);
        assertEquals(1, mgw.run("webhooks", "create", "--key", "nobody", "--url", "https://x.example.com/").exit());
        assertEquals(1, mgw.run("webhooks", "enable", "not-an-id").exit());
        assertEquals(2, mgw.run("webhooks", "deliveries", "0190f5e0-0000-7000-8000-000000000001", "--status", "lost").exit());
        assertEquals(2, mgw.run("webhooks", "replay", "0190f5e0-0000-7000-8000-000000000001", "--since", "soon").exit());
    }

    @Test
    void deliveriesListsAndReplayQueuesTheFailedOnesSinceAGivenTime() {
        String id = create("https://hooks.example.com/replay");
        insertDelivery(id, "failed", "now() - interval '3 hours'");
        insertDelivery(id, "failed", "now() - interval '10 minutes'");
        insertDelivery(id, "delivered", "now() - interval '5 minutes'");

        JsonArray failed = mgw.run("webhooks", "deliveries", id, "--status", "failed", "--json").json();
        assertEquals(2, failed.size());
        assertEquals("HTTP 500", failed.getJsonObject(0).getString("last_error"));
        MgwRunner.Result table = mgw.run("webhooks", "deliveries", id);
        assertEquals(4, table.out().lines().count(), table::toString);

        MgwRunner.Result replay = mgw.run("webhooks", "replay", id, "--since", "1h");
        assertEquals(0, replay.exit(), replay::toString);
        assertEquals("Queued 1 failed delivery of webhook endpoint " + id + " again.", replay.out().strip());
        JsonObject all = mgw.run("webhooks", "replay", id, "--json").json();
        assertEquals(1, all.getInt("replayed"), "the older one, without --since");
        assertEquals(2, db.queryLong("SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = '" + id
                                     + "' AND status = 'pending' AND attempts = 0"));
    }

    @Test
    void aKeyHasAtMostTenEndpoints() {
        assertEquals(0, mgw.run("keys", "create", "--name", "busy").exit());
        for (int i = 0; i < 10; i++) {
            assertEquals(0, mgw.run("webhooks", "create", "--key", "busy", "--url", "https://hooks.example.com/" + i).exit());
        }
        MgwRunner.Result eleventh = mgw.run("webhooks", "create", "--key", "busy", "--url", "https://hooks.example.com/11");
        assertEquals(1, eleventh.exit(), eleventh::toString);
        assertTrue(eleventh.err().contains("at most 10 webhook endpoints"), eleventh::toString);
    }

    private static String create(String url) {
        return mgw.run("webhooks", "create", "--key", "shop", "--url", url, "--json").<JsonObject>json().getString("id");
    }

    private static void insertDelivery(String endpoint, String status, String createdAt) {
        db.sql("INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, payload, status, attempts, "
               + "last_response_code, last_error, created_at) VALUES ('" + endpoint + "', gen_random_uuid(), "
               + "'message.sent', '{}', '" + status + "', 9, 500, 'HTTP 500', " + createdAt + ")");
    }
}
