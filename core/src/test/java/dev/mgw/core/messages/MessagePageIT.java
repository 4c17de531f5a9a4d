package dev.mgw.core.messages;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.mgw.core.db.Database;
import dev.mgw.core.testing.TestDatabase;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The plan of a page of {@code GET /api/v1/messages} for a key with many messages: it walks the
 * key's (created_at, id) index from the cursor down and stops after one page, also as the generic
 * plan a prepared statement ends up with; with a status filter an index of that status may serve
 * instead, still in order and stopping at the page.
 */
class MessagePageIT {
    private static final Pattern PARAMETER = Pattern.compile("(?<![:\\w]):([a-z_]+)");
    private static TestDatabase db;

    @BeforeAll
    static void outbox() {
        db = TestDatabase.migrated(MessagePageIT.class);
        db.sql("INSERT INTO api_keys (name, key_prefix, key_hash, daily_limit) "
               + "SELECT 'k' || i, 'mgw_k' || lpad(CAST(i AS text), 7, '0'), 'hash', 100 FROM generate_series(1, 20) i");
        db.sql("INSERT INTO messages (id, api_key_id, sender, to_recipients, subject, text_body, status, tags, created_at) "
               + "SELECT gen_random_uuid(), k.id, 'a@example.com', ARRAY['u' || g || '@example.com'], 's', 'b', "
               + "(ARRAY['sent', 'sent', 'sent', 'failed', 'queued'])[1 + g % 5], "
               + "jsonb_build_object('order', 'o' || (g % 50)), now() - make_interval(secs => g) "
               + "FROM api_keys k, generate_series(1, CASE k.name WHEN 'k7' THEN 20000 ELSE 1000 END) g");
        db.sql("ANALYZE messages");
    }

    @AfterAll
    static void drop() {
        db.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"force_custom_plan", "force_generic_plan"})
    void aPageReadsTheKeysIndexFromTheCursorAndNoMore(String planMode) {
        String key = db.queryString("SELECT id FROM api_keys WHERE name = 'k7'");
        MessageCursor cursor = db.query("SELECT created_at, id FROM messages WHERE api_key_id = '" + key
                                        + "' ORDER BY created_at DESC, id DESC OFFSET 500 LIMIT 1",
                                        rs -> rs.next() ? new MessageCursor(rs.getTimestamp(1).toInstant(),
                                                                            UUID.fromString(rs.getString(2))) : null);
        MessageFilter none = MessageFilter.none();
        for (Conditions unfiltered : List.of(Conditions.of(none, Optional.empty()),
                                             Conditions.of(none, Optional.of(cursor)),
                                             Conditions.of(none.withSince(Instant.parse("2026-01-01T00:00:00Z")),
                                                           Optional.of(cursor)))) {
            String plan = explain(planMode, key, unfiltered);
            assertTrue(plan.contains("Index Scan using messages_key_page on messages m"), plan);
            assertFalse(plan.contains("Bitmap Heap Scan on messages"), "reads in index order and stops at the page: " + plan);
        }
        MessageFilter filtered = new MessageFilter(Optional.of("failed"), Optional.empty(), Optional.of("u7@example.com"),
                                                   Map.of("order", "o7"), Optional.empty(), Optional.empty());
        String plan = explain(planMode, key, Conditions.of(filtered, Optional.of(cursor)));
        assertFalse(plan.contains("Seq Scan on messages"), plan);
    }

    /** EXPLAIN of the page statement prepared with numbered parameters, executed with these conditions. */
    private static String explain(String planMode, String key, Conditions conditions) {
        Map<String, Object> values = new LinkedHashMap<>(conditions.parameters());
        values.put("hash", "hash");
        values.put("key", key);
        values.put("limit", 21);
        List<String> order = new ArrayList<>();
        Matcher matcher = PARAMETER.matcher(conditions.fill(Messages.PAGE_OWN));
        StringBuilder numbered = new StringBuilder();
        while (matcher.find()) {
            if (!order.contains(matcher.group(1))) {
                order.add(matcher.group(1));
            }
            matcher.appendReplacement(numbered, "\\$" + (order.indexOf(matcher.group(1)) + 1));
        }
        matcher.appendTail(numbered);
        String arguments = String.join(", ", order.stream()
                .map(name -> "'" + String.valueOf(values.get(name)).replace("'", "''") + "'")
                .toList());
        try (Connection connection = Database.connect(db.target()); Statement statement = connection.createStatement()) {
            statement.execute("PREPARE page AS " + numbered);
            statement.execute("SET plan_cache_mode = " + planMode);
            StringBuilder plan = new StringBuilder();
            try (ResultSet rs = statement.executeQuery("EXPLAIN EXECUTE page(" + arguments + ")")) {
                while (rs.next()) {
                    plan.append(rs.getString(1)).append('\n');
                }
            }
            return plan.toString();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
