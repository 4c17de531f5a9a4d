package dev.mgw.cli;

import java.util.List;

import dev.mgw.core.testing.TestDatabase;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MgwMessagesIT {
    private static final String SENT = "0190f5e0-0000-7000-8000-000000000001";
    private static final String FAILED = "0190f5e0-0000-7000-8000-000000000002";
    private static final String QUEUED = "0190f5e0-0000-7000-8000-000000000003";
    private static TestDatabase db;
    private static MgwRunner mgw;

    @BeforeAll
    static void messages() {
        db = TestDatabase.migrated(MgwMessagesIT.class);
        mgw = new MgwRunner(db);
        assertEquals(0, mgw.run("keys", "create", "--name", "shop", "--key", "sk_shop_key_0000000001").exit());
        assertEquals(0, mgw.run("keys", "create", "--name", "blog", "--key", "sk_blog_key_0000000002").exit());
        insert(SENT, "shop", "sent", "created_at = now() - interval '3 minutes', sent_at = now(), attempts = 1, "
                                     + "transport = 'smtp', smtp_message_id = '<" + SENT + "@shop.example>'");
        insert(FAILED, "shop", "failed", "created_at = now() - interval '2 minutes', attempts = 8, "
                                         + "last_error = '550 5.1.1 user unknown'");
        insert(QUEUED, "blog", "queued", "created_at = now() - interval '1 minute'");
    }

    @AfterAll
    static void drop() {
        db.close();
    }

    @Test
    void listShowsTheNewestFirstAndFilters() {
        MgwRunner.Result all = mgw.run("messages", "list");
        assertEquals(0, all.exit(), all::toString);
        String[] lines = all.out().split("\n");
        assertEquals(4, lines.length, all::toString);
        assertTrue(lines[0].matches("ID\\s+KEY\\s+STATUS\\s+ATTEMPTS\\s+TO\\s+SUBJECT\\s+CREATED\\s+SENT"), lines[0]);
        assertTrue(lines[1].startsWith(QUEUED), lines[1]);
        assertTrue(lines[3].contains("shop") && lines[3].contains("sent"), lines[3]);

        JsonArray failed = mgw.run("messages", "list", "--status", "failed", "--json").json();
        assertEquals(1, failed.size());
        assertEquals(FAILED, failed.getJsonObject(0).getString("id"));
        JsonArray blog = mgw.run("messages", "list", "--key", "blog", "--json").json();
        assertEquals(1, blog.size());
        assertEquals(1, mgw.run("messages", "list", "--limit", "1", "--json").<JsonArray>json().size());
        assertEquals(2, mgw.run("messages", "list", "--status", "lost").exit());
    }

    @Test
    void showPrintsTheMessagesHistory() {
        MgwRunner.Result show = mgw.run("messages", "show", FAILED);
        assertEquals(0, show.exit(), show::toString);
        assertTrue(show.out().contains("status:       failed"), show::toString);
        assertTrue(show.out().contains("last error:   550 5.1.1 user unknown"), show::toString);
        JsonObject json = mgw.run("messages", "show", SENT, "--json").json();
        assertEquals("<" + SENT + "@shop.example>", json.getString("smtp_message_id"));
        assertEquals("shop", json.getString("key_name"));

        MgwRunner.Result missing = mgw.run("messages", "show", "0190f5e0-0000-7000-8000-00000000ffff");
        assertEquals(1, missing.exit());
        assertEquals(1, mgw.run("messages", "show", "not-an-id").exit());
    }

    @Test
    void showPrintsTheTimelineOldestFirst() {
        String key = db.queryString("SELECT id FROM api_keys WHERE name = 'shop'");
        db.sql("INSERT INTO message_events (id, message_id, api_key_id, type, recipient, at, smtp_code, smtp_reply, detail) "
               + "VALUES ('0190f5e0-0000-7000-8000-0000000000e1', '" + FAILED + "', '" + key + "', 'deferred', "
               + "'user@example.com', now() - interval '100 seconds', 452, '452 4.2.2 Mailbox full', "
               + "'{\"next_attempt_at\": \"2026-11-24T18:25:01Z\", \"attempt\": 1}'), "
               + "('0190f5e0-0000-7000-8000-0000000000e2', '" + FAILED + "', '" + key + "', 'failed', NULL, "
               + "now() - interval '50 seconds', 550, '550 5.1.1 user unknown', NULL)");
        db.sql("UPDATE messages SET smtp_code = 250, smtp_reply = '250 2.0.0 Ok: queued as 4Xk' WHERE id = '" + SENT + "'");

        MgwRunner.Result show = mgw.run("messages", "show", FAILED);
        assertEquals(0, show.exit(), show::toString);
        String timeline = show.out().substring(show.out().indexOf("timeline:"));
        String[] lines = timeline.split("\n");
        assertEquals(4, lines.length, timeline);
        assertTrue(lines[1].contains("accepted"), timeline);
        assertTrue(lines[2].matches(".*deferred\\s+user@example.com  452 4.2.2 Mailbox full  next attempt "
                                    + "2026-11-24T18:25:01Z"), timeline);
        assertTrue(lines[3].matches(".*failed\\s+550 5.1.1 user unknown"), timeline);

        JsonObject sent = mgw.run("messages", "show", SENT, "--json").json();
        JsonArray events = sent.getJsonArray("events");
        assertEquals(List.of("accepted", "sent"), events.getValuesAs(JsonObject.class).stream()
                .map(event -> event.getString("type")).toList());
        assertEquals("250 2.0.0 Ok: queued as 4Xk", events.getJsonObject(1).getString("smtp_reply"));
        assertEquals(250, sent.getInt("smtp_code"));
    }

    @Test
    void showListsTheAttachmentsWithoutTheirBytes() {
        // removed again at the end: the list test counts the messages
        String withAttachments = "0190f5e0-0000-7000-8000-000000000005";
        insert(withAttachments, "shop", "sent", "attachment_count = 2");
        db.sql("INSERT INTO message_attachments (message_id, position, filename, content_type, content_id, size, content) "
               + "VALUES ('" + withAttachments + "', 0, 'invoice.pdf', 'application/pdf', NULL, 12345, "
               + "decode(repeat('00', 12345), 'hex')), ('" + withAttachments + "', 1, 'logo.png', 'image/png', "
               + "'logo@shop', 2048, decode(repeat('ff', 2048), 'hex'))");
        MgwRunner.Result show = mgw.run("messages", "show", withAttachments);
        assertEquals(0, show.exit(), show::toString);
        assertTrue(show.out().contains("attachments:  2\n  invoice.pdf  application/pdf  12,345 bytes\n"
                                       + "  logo.png  image/png  2,048 bytes  inline, cid:logo@shop\n"), show::toString);
        JsonArray attachments = mgw.run("messages", "show", withAttachments, "--json").<JsonObject>json()
                .getJsonArray("attachments");
        assertEquals("invoice.pdf", attachments.getJsonObject(0).getString("filename"));
        assertEquals(12345, attachments.getJsonObject(0).getInt("size"));
        assertTrue(attachments.getJsonObject(0).isNull("content_id"));
        assertEquals("logo@shop", attachments.getJsonObject(1).getString("content_id"));
        assertTrue(mgw.run("messages", "show", FAILED).out().contains("attachments:  -"));
        db.sql("DELETE FROM messages WHERE id = '" + withAttachments + "'");
    }

    @Test
    void retryPutsOnlyFailedMessagesBack() {
        MgwRunner.Result notFailed = mgw.run("messages", "retry", SENT);
        assertEquals(1, notFailed.exit(), notFailed::toString);
        assertTrue(notFailed.err().contains("is sent; only failed messages can be retried"), notFailed::toString);

        String failedCopy = "0190f5e0-0000-7000-8000-000000000004";
        insert(failedCopy, "blog", "failed", "attempts = 8, last_error = '554 rejected'");
        MgwRunner.Result retried = mgw.run("messages", "retry", failedCopy);
        assertEquals(0, retried.exit(), retried::toString);
        assertEquals("queued 0", db.queryString("SELECT status || ' ' || attempts FROM messages WHERE id = '" + failedCopy + "'"));
    }

    private static void insert(String id, String key, String status, String set) {
        db.sql("INSERT INTO messages (id, api_key_id, sender, to_recipients, subject, text_body, status) "
               + "SELECT '" + id + "', id, 'noreply@example.com', ARRAY['to@example.com'], 'Subject " + id.substring(34)
               + "', 'Body', '" + status + "' FROM api_keys WHERE name = '" + key + "'");
        db.sql("UPDATE messages SET " + set + " WHERE id = '" + id + "'");
    }
}
