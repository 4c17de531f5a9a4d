package dev.mgw.cli;

import java.util.List;

import dev.mgw.core.testing.TestDatabase;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code mgw messages list} filters, {@code show} by id prefix, {@code retry} in bulk and {@code cancel}. */
class MgwMessagesBulkIT {
    private static final String A1 = "0190f5e0-aaaa-7000-8000-000000000001";
    private static final String A2 = "0190f5e0-aaab-7000-8000-000000000002";
    private static final String B1 = "0190f5e0-bbbb-7000-8000-000000000003";
    private static final String C1 = "0190f5e0-cccc-7000-8000-000000000004";
    private static TestDatabase db;
    private static MgwRunner mgw;

    @BeforeAll
    static void keys() {
        db = TestDatabase.migrated(MgwMessagesBulkIT.class);
        mgw = new MgwRunner(db);
        assertEquals(0, mgw.run("keys", "create", "--name", "shop", "--key", "sk_shop_key_0000000001").exit());
        assertEquals(0, mgw.run("keys", "create", "--name", "blog", "--key", "sk_blog_key_0000000002").exit());
    }

    @BeforeEach
    void messages() {
        db.sql("DELETE FROM message_events; DELETE FROM messages; DELETE FROM daily_usage");
        insert(A1, "shop", "failed", "created_at = now() - interval '3 hours', updated_at = now() - interval '3 hours', "
                                     + "attempts = 8, last_error = '421 busy', tags = '{\"kind\": \"receipt\"}'");
        insert(A2, "shop", "failed", "updated_at = now() - interval '1 hour', attempts = 8, "
                                     + "cc_recipients = ARRAY['Boss@Example.com']");
        insert(B1, "blog", "failed", "attempts = 3, tags = '{\"kind\": \"news\"}'");
        insert(C1, "blog", "sent", "created_at = '2026-11-20T10:00:00Z', sent_at = now(), attempts = 1");
    }

    @AfterAll
    static void drop() {
        db.close();
    }

    @Test
    void listFiltersByRecipientTagAndTime() {
        assertEquals(List.of(A2), ids("--to", "boss@example.com"));
        assertEquals(List.of(A1), ids("--tag", "kind:receipt", "--to", "TO@example.com"));
        assertEquals(List.of(A1), ids("--tag", "kind:receipt"));
        assertEquals(List.of(C1), ids("--until", "2026-11-21"));
        assertEquals(List.of(A2, B1), ids("--since", "2h").stream().sorted().toList());
        assertEquals(List.of(A1), ids("--since", "4h", "--until", "2h"));
        assertEquals(List.of(B1), ids("--status", "failed", "--key", "blog"));
        for (List<String> bad : List.of(List.of("--tag", "nocolon"), List.of("--to", "nobody"),
                                        List.of("--since", "last week"), List.of("--since", "1h", "--until", "2h"),
                                        List.of("--status", "lost"))) {
            MgwRunner.Result result = run("messages", "list", bad);
            assertEquals(2, result.exit(), result::toString);
        }
    }

    @Test
    void showTakesAUniqueIdPrefix() {
        MgwRunner.Result show = mgw.run("messages", "show", "0190f5e0-bbbb");
        assertEquals(0, show.exit(), show::toString);
        assertTrue(show.out().startsWith("id:           " + B1), show::toString);
        assertEquals(B1, mgw.run("messages", "show", "0190F5E0BBBB", "--json").<JsonObject>json().getString("id"));

        MgwRunner.Result ambiguous = mgw.run("messages", "show", "0190f5e0-aaa");
        assertEquals(1, ambiguous.exit(), ambiguous::toString);
        assertTrue(ambiguous.err().contains("'0190f5e0-aaa' matches 2 messages: " + A1 + " (failed), " + A2 + " (failed)"),
                   ambiguous::toString);
        MgwRunner.Result all = mgw.run("messages", "show", "0190f5e0");
        assertTrue(all.err().contains("matches 4 messages"), all::toString);

        MgwRunner.Result tooShort = mgw.run("messages", "show", "0190f5");
        assertEquals(1, tooShort.exit());
        assertTrue(tooShort.err().contains("8 or more"), tooShort::toString);
        assertEquals(1, mgw.run("messages", "show", "0190f5e0-a-aa").exit(), "dashes only where ids have them");
        MgwRunner.Result missing = mgw.run("messages", "show", "0190f5e1");
        assertEquals(1, missing.exit());
        assertTrue(missing.err().contains("no message 0190f5e1"), missing::toString);
    }

    @Test
    void retryInBulkCountsAndResetsAttempts() {
        MgwRunner.Result dryRun = mgw.run("messages", "retry", "--status", "failed", "--dry-run");
        assertEquals(0, dryRun.exit(), dryRun::toString);
        assertEquals("Would queue 3 failed messages again (dry run: nothing changed).\n", dryRun.out());
        assertEquals(3, db.queryLong("SELECT count(*) FROM messages WHERE status = 'failed'"));

        assertEquals("Queued 1 failed message again.\n", mgw.run("messages", "retry", "--status", "failed", "--key", "blog").out());
        assertEquals("queued 0", status(B1));
        assertEquals(1, mgw.run("messages", "retry", "--status", "failed", "--since", "2h", "--json").<JsonObject>json()
                .getInt("retried"), "only what failed in the last 2 hours");
        assertEquals("queued 0", status(A2));
        assertEquals("failed 8", status(A1));
        assertEquals("Queued 1 failed message again.\n", mgw.run("messages", "retry", "--status", "failed").out());
        assertEquals("queued 0", status(A1));
        assertEquals("sent 1", status(C1));
        assertEquals("Queued 0 failed messages again.\n", mgw.run("messages", "retry", "--status", "failed").out());

        assertEquals(2, mgw.run("messages", "retry").exit());
        assertEquals(2, mgw.run("messages", "retry", "--status", "sent").exit());
        assertEquals(2, mgw.run("messages", "retry", A1, "--status", "failed").exit());
    }

    @Test
    void cancelTakesAPrefixAndCreditsTodaysQuota() {
        db.sql("UPDATE messages SET status = 'queued', created_at = now() WHERE id = '" + A2 + "'");
        db.sql("INSERT INTO daily_usage (api_key_id, date, count) SELECT id, CAST(now() AT TIME ZONE 'UTC' AS date), 5 "
               + "FROM api_keys WHERE name = 'shop'");
        MgwRunner.Result canceled = mgw.run("messages", "cancel", "0190f5e0-aaab");
        assertEquals(0, canceled.exit(), canceled::toString);
        assertEquals("Message " + A2 + " is canceled.\n", canceled.out());
        assertEquals("canceled 8", status(A2));
        assertEquals(3, db.queryLong("SELECT count FROM daily_usage"), "its to and cc recipients given back");
        assertEquals("canceled mgw", db.queryString("SELECT type || ' ' || (detail ->> 'by') FROM message_events "
                                                    + "WHERE message_id = '" + A2 + "'"));

        MgwRunner.Result sent = mgw.run("messages", "cancel", C1);
        assertEquals(1, sent.exit(), sent::toString);
        assertTrue(sent.err().contains("is sent; only a queued message can be canceled"), sent::toString);
        assertEquals(1, mgw.run("messages", "cancel", A2).exit(), "canceled already");
        JsonArray canceledList = mgw.run("messages", "list", "--status", "canceled", "--json").json();
        assertEquals(1, canceledList.size());
    }

    private static List<String> ids(String... options) {
        MgwRunner.Result result = run("messages", "list", List.of(options));
        assertEquals(0, result.exit(), result::toString);
        return result.<JsonArray>json().getValuesAs(JsonObject.class).stream().map(m -> m.getString("id")).toList();
    }

    private static MgwRunner.Result run(String command, String subcommand, List<String> options) {
        String[] args = new String[options.size() + 3];
        args[0] = command;
        args[1] = subcommand;
        for (int i = 0; i < options.size(); i++) {
            args[i + 2] = options.get(i);
        }
        args[args.length - 1] = "--json";
        return mgw.run(args);
    }

    private static String status(String id) {
        return db.queryString("SELECT status || ' ' || attempts FROM messages WHERE id = '" + id + "'");
    }

    private static void insert(String id, String key, String status, String set) {
        db.sql("INSERT INTO messages (id, api_key_id, sender, to_recipients, subject, text_body, status) "
               + "SELECT '" + id + "', id, 'noreply@example.com', ARRAY['to@example.com'], 'Subject', 'Body', '"
               + status + "' FROM api_keys WHERE name = '" + key + "'");
        db.sql("UPDATE messages SET " + set + " WHERE id = '" + id + "'");
    }
}
