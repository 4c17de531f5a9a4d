package dev.mgw.core.db;

import java.util.List;

import dev.mgw.core.testing.TestDatabase;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MigrationsIT {
    private static TestDatabase db;
    private static Database database;

    @BeforeAll
    static void emptyDatabase() {
        db = TestDatabase.empty(MigrationsIT.class);
        database = Database.open(db.target(), 2, false, Database.Limits.SERVER);
    }

    @AfterAll
    static void drop() {
        database.close();
        db.close();
    }

    @Test
    void changelogAppliesToAnEmptyDatabaseTwiceWithTheSameResult() {
        Migrations migrations = new Migrations(db.target());
        List<String> ids = Migrations.changeSetIds();
        assertEquals(List.of("0001-api-keys", "0002-daily-usage", "0003-messages", "0004-failed-messages-index",
                             "0010-webhooks", "0020-message-attachments", "0020-batch-requests", "0011-message-events",
                             "0011-message-relay-reply", "0011-suppressions",
                             "0011-message-settled-recipients", "0012-messages-key-page-index",
                             "0012-drop-messages-key-recent", "0013-smtp-submission", "0050-retention-bodies-removed-at",
                             "0050-retention-indexes"), ids);
        assertEquals(Migrations.changeSetIdsByLiquibase(), ids, "the quick reading agrees with Liquibase's");
        assertFalse(Migrations.isCurrent(database, ids), "nothing applied yet");
        assertTrue(migrations.status().stream().allMatch(Migrations.ChangeSetState::pending));

        migrations.migrate();
        String schemaAfterFirst = schema();
        assertEquals(ids.size(), db.queryLong("SELECT count(*) FROM databasechangelog"));
        assertTrue(Migrations.isCurrent(database, ids));

        migrations.migrate();
        assertEquals(ids.size(), db.queryLong("SELECT count(*) FROM databasechangelog"), "second run applies nothing");
        assertFalse(migrations.migrateIfNeeded(), "a current schema needs no Liquibase");
        assertEquals(schemaAfterFirst, schema(), "second run changes nothing");
        assertTrue(migrations.status().stream().noneMatch(Migrations.ChangeSetState::pending));

        // the SPEC's example query runs unchanged
        db.sql("INSERT INTO api_keys (name, key_prefix, key_hash, daily_limit) VALUES ('prod', 'mgw_AbCdEfGh', 'x', 100)");
        db.sql("INSERT INTO daily_usage (api_key_id, date, count) SELECT id, CURRENT_DATE, 7 FROM api_keys");
        assertEquals("prod 100 7", db.query("""
                SELECT k.name, k.daily_limit, u.count, u.date FROM api_keys k LEFT JOIN daily_usage u ON k.id = u.api_key_id WHERE u.date = CURRENT_DATE;
                """, rs -> {
            rs.next();
            return rs.getString("name") + " " + rs.getInt("daily_limit") + " " + rs.getInt("count");
        }));
    }

    private static String schema() {
        return db.queryString("""
                SELECT string_agg(table_name || '.' || column_name || ':' || data_type || ':' || is_nullable, ','
                                  ORDER BY table_name, ordinal_position)
                  FROM information_schema.columns
                 WHERE table_schema = 'public'
                """) + "|" + db.queryString("""
                SELECT string_agg(indexdef, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'public'
                """);
    }
}
