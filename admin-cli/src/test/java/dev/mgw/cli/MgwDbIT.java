package dev.mgw.cli;

import dev.mgw.core.db.Migrations;
import dev.mgw.core.testing.TestDatabase;

import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MgwDbIT {
    private static TestDatabase db;
    private static MgwRunner mgw;

    @BeforeAll
    static void emptyDatabase() {
        db = TestDatabase.empty(MgwDbIT.class);
        mgw = new MgwRunner(db);
    }

    @AfterAll
    static void drop() {
        db.close();
    }

    @Test
    void statusMigrateStatus() {
        MgwRunner.Result before = mgw.run("db", "status", "--json");
        assertEquals(0, before.exit(), before::toString);
        JsonObject pending = before.json();
        assertFalse(pending.getBoolean("current"));
        int changeSets = Migrations.changeSetIds().size();
        assertEquals(changeSets, pending.getInt("pending"));

        MgwRunner.Result migrate = mgw.run("db", "migrate");
        assertEquals(0, migrate.exit(), migrate::toString);
        assertTrue(migrate.out().contains(changeSets + " changeset(s) applied."), migrate::toString);
        assertTrue(migrate.out().contains("The schema is current."), migrate::toString);

        MgwRunner.Result again = mgw.run("db", "migrate");
        assertTrue(again.out().contains("0 changeset(s) applied."), again::toString);

        MgwRunner.Result after = mgw.run("db", "status");
        assertEquals(0, after.exit(), after::toString);
        assertTrue(after.out().matches("(?s)CHANGESET\\s+APPLIED\n0001-api-keys\\s+\\d{4}-.*0004-failed-messages-index\\s+\\d{4}-.*"),
                   after::toString);
    }
}
