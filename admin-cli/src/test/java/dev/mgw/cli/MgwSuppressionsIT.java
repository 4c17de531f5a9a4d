package dev.mgw.cli;

import java.nio.file.Files;
import java.nio.file.Path;

import dev.mgw.core.testing.TestDatabase;

import jakarta.json.JsonArray;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code mgw suppressions}: per key and global lists, and a CSV round trip. */
class MgwSuppressionsIT {
    private static TestDatabase db;
    private static MgwRunner mgw;

    @BeforeAll
    static void keys() {
        db = TestDatabase.migrated(MgwSuppressionsIT.class);
        mgw = new MgwRunner(db);
        assertEquals(0, mgw.run("keys", "create", "--name", "shop", "--key", "sk_shop_key_0000000001").exit());
    }

    @AfterAll
    static void drop() {
        db.close();
    }

    @Test
    void addListRemoveExportAndImport(@TempDir Path dir) throws Exception {
        MgwRunner.Result added = mgw.run("suppressions", "add", "A@example.com", "b@example.com", "--key", "shop",
                                         "--expires", "30d");
        assertEquals(0, added.exit(), added::toString);
        assertEquals(0, mgw.run("suppressions", "add", "all@example.com", "--global", "--reason", "complaint").exit());
        assertEquals(2, mgw.run("suppressions", "add", "x@example.com").exit(), "whose list must be said");
        assertEquals(2, mgw.run("suppressions", "add", "x@example.com", "--key", "shop", "--global").exit());

        JsonArray shop = mgw.run("suppressions", "list", "--key", "shop", "--json").json();
        assertEquals(2, shop.size());
        assertEquals(1, mgw.run("suppressions", "list", "--global", "--json").<JsonArray>json().size());
        JsonArray all = mgw.run("suppressions", "list", "--json").json();
        assertEquals(3, all.size());
        MgwRunner.Result table = mgw.run("suppressions", "list", "--reason", "complaint");
        assertTrue(table.out().contains("all@example.com") && table.out().contains("global"), table::toString);

        MgwRunner.Result export = mgw.run("suppressions", "export", "--csv");
        assertEquals(0, export.exit(), export::toString);
        assertTrue(export.out().startsWith("address,key,reason,detail,created_at,expires_at,message_id"), export::toString);
        assertEquals(4, export.out().strip().split("\r?\n").length, export::toString);

        assertEquals(0, mgw.run("suppressions", "remove", "a@example.com", "b@example.com", "--key", "shop").exit());
        assertEquals(0, mgw.run("suppressions", "remove", "all@example.com", "--global").exit());
        assertEquals(1, mgw.run("suppressions", "remove", "all@example.com", "--global").exit(), "not on the list");
        assertEquals(0, mgw.run("suppressions", "list", "--json").<JsonArray>json().size());

        Path file = dir.resolve("suppressions.csv");
        Files.writeString(file, export.out());
        MgwRunner.Result imported = mgw.run("suppressions", "import", file.toString());
        assertEquals(0, imported.exit(), imported::toString);
        assertEquals(2, mgw.run("suppressions", "list", "--key", "shop", "--json").<JsonArray>json().size());
        assertEquals(1, mgw.run("suppressions", "list", "--global", "--json").<JsonArray>json().size());
        assertEquals("complaint", db.queryString("SELECT reason FROM suppressions WHERE address = 'all@example.com'"));

        Path plain = dir.resolve("plain.csv");
        Files.writeString(plain, "address,reason\nnew@example.com,manual\nnot-an-address,manual\n");
        assertEquals(1, mgw.run("suppressions", "import", plain.toString(), "--key", "shop").exit(),
                     "a bad row imports nothing");
        assertEquals(0, db.queryLong("SELECT count(*) FROM suppressions WHERE address = 'new@example.com'"));
    }
}
