package dev.mgw.cli;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import dev.mgw.core.testing.TestDatabase;

import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MgwUsageIT {
    /** "Today" for these tests: usage rows are written for fixed days around it. */
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-24T10:00:00Z"), ZoneOffset.UTC);
    private static TestDatabase db;
    private static MgwRunner mgw;

    @BeforeAll
    static void keysWithUsage() {
        db = TestDatabase.migrated(MgwUsageIT.class);
        mgw = new MgwRunner(db, CLOCK);
        assertEquals(0, mgw.run("keys", "create", "--name", "prod", "--limit", "100", "--key", "sk_prod_key_0000000001").exit());
        assertEquals(0, mgw.run("keys", "create", "--name", "staging", "--limit", "15", "--key", "sk_stag_key_0000000002").exit());
        assertEquals(0, mgw.run("keys", "create", "--name", "idle", "--limit", "5", "--key", "sk_idle_key_0000000003").exit());
        usage("prod", "2026-11-24", 40);
        usage("staging", "2026-11-24", 15);
        usage("prod", "2026-11-23", 7);
        usage("staging", "2026-11-20", 2);
    }

    @AfterAll
    static void drop() {
        db.close();
    }

    @Test
    void todayListsEveryActiveKeyAndATotal() {
        MgwRunner.Result result = mgw.run("usage", "--date", "today");
        assertEquals(0, result.exit(), result::toString);
        assertEquals("""
                Usage on 2026-11-24 (UTC)
                NAME     PREFIX        DATE        SENT  LIMIT  REMAINING
                idle     sk_idle_key_  2026-11-24     0      5          5
                prod     sk_prod_key_  2026-11-24    40    100         60
                staging  sk_stag_key_  2026-11-24    15     15          0
                ---------------------------------------------------------
                TOTAL                                55    120         65
                """, result.out());
    }

    @Test
    void defaultIsTodayAndYesterdayWorks() {
        assertEquals(mgw.run("usage", "--date", "today").out(), mgw.run("usage").out());
        MgwRunner.Result yesterday = mgw.run("usage", "--date", "yesterday", "--json");
        assertEquals(0, yesterday.exit(), yesterday::toString);
        JsonObject json = yesterday.json();
        assertEquals("2026-11-23", json.getString("from"));
        assertEquals(7, json.getJsonObject("total").getInt("sent"));
    }

    @Test
    void rangeListsOnlyDaysWithUsage() {
        MgwRunner.Result result = mgw.run("usage", "--from", "2026-11-20", "--to", "2026-11-24", "--json");
        assertEquals(0, result.exit(), result::toString);
        JsonObject json = result.json();
        assertEquals(4, json.getJsonArray("rows").size());
        assertEquals("2026-11-20", json.getJsonArray("rows").getJsonObject(0).getString("date"));
        assertEquals(64, json.getJsonObject("total").getInt("sent"));
    }

    @Test
    void fromWithoutToRunsUntilToday() {
        JsonObject json = mgw.run("usage", "--from", "2026-11-23", "--json").json();
        assertEquals("2026-11-24", json.getString("to"));
        assertEquals(62, json.getJsonObject("total").getInt("sent"));
    }

    @Test
    void oneKeyOnly() {
        JsonObject json = mgw.run("usage", "--key", "staging", "--from", "2026-11-01", "--json").json();
        assertEquals(2, json.getJsonArray("rows").size());
        assertEquals(17, json.getJsonObject("total").getInt("sent"));
    }

    @Test
    void csvHasAHeaderAndDataRows() {
        MgwRunner.Result result = mgw.run("usage", "--csv");
        assertEquals(0, result.exit(), result::toString);
        assertEquals("""
                name,prefix,date,sent,limit,remaining
                idle,sk_idle_key_,2026-11-24,0,5,5
                prod,sk_prod_key_,2026-11-24,40,100,60
                staging,sk_stag_key_,2026-11-24,15,15,0
                """, result.out());
    }

    @Test
    void badDatesAreUsageErrors() {
        MgwRunner.Result bad = mgw.run("usage", "--date", "24/11/2026");
        assertEquals(2, bad.exit(), bad::toString);
        assertTrue(bad.err().contains("is not today, yesterday or a YYYY-MM-DD date"), bad::toString);
        assertEquals(2, mgw.run("usage", "--from", "2026-11-24", "--to", "2026-11-01").exit());
        assertEquals(2, mgw.run("usage", "--date", "today", "--from", "2026-11-01").exit());
        assertEquals(2, mgw.run("usage", "--to", "2026-11-01").exit(), "--to needs --from");
    }

    private static void usage(String key, String date, int count) {
        db.sql("INSERT INTO daily_usage (api_key_id, date, count) SELECT id, DATE '" + date + "', " + count
               + " FROM api_keys WHERE name = '" + key + "'");
    }
}
