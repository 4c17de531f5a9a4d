package dev.mgw.cli;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.mgw.core.keys.KeySecrets;
import dev.mgw.core.testing.TestDatabase;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MgwKeysIT {
    private static final Pattern GENERATED = Pattern.compile("key:\\s+(mgw_[0-9A-Za-z]{40})");
    private static TestDatabase db;
    private static MgwRunner mgw;
    private final KeySecrets secrets = new KeySecrets();

    @BeforeAll
    static void database() {
        db = TestDatabase.migrated(MgwKeysIT.class);
        mgw = new MgwRunner(db);
    }

    @AfterAll
    static void drop() {
        db.close();
    }

    @BeforeEach
    void clean() {
        db.truncate();
    }

    @Test
    void createPrintsTheKeyOnceAndStoresOnlyItsHash() {
        MgwRunner.Result result = mgw.run("keys", "create", "--name", "prod", "--limit", "100");
        assertEquals(0, result.exit(), result::toString);
        Matcher matcher = GENERATED.matcher(result.out());
        assertTrue(matcher.find(), result::toString);
        String key = matcher.group(1);
        assertTrue(result.out().contains("prefix:  " + key.substring(0, 12)), result::toString);
        assertTrue(result.out().contains("shown only this once"), result::toString);

        String hash = db.queryString("SELECT key_hash FROM api_keys WHERE name = 'prod'");
        assertFalse(hash.contains(key));
        assertTrue(hash.startsWith("$2a$10$"), hash);
        assertTrue(secrets.verify(key, hash));
        assertEquals(key.substring(0, 12), db.queryString("SELECT key_prefix FROM api_keys WHERE name = 'prod'"));
        assertEquals(100, db.queryLong("SELECT daily_limit FROM api_keys WHERE name = 'prod'"));
    }

    @Test
    void createJsonCarriesTheKeyAndDefaultsTheLimitTo15() {
        MgwRunner.Result result = mgw.run("keys", "create", "--name", "billing", "--json");
        assertEquals(0, result.exit(), result::toString);
        JsonObject json = result.json();
        assertEquals("billing", json.getString("name"));
        assertEquals(15, json.getInt("daily_limit"));
        assertEquals("active", json.getString("status"));
        assertTrue(json.getString("key").matches("mgw_[0-9A-Za-z]{40}"));
        assertEquals(json.getString("key").substring(0, 12), json.getString("prefix"));
        assertTrue(json.isNull("allowed_recipients"));
        assertTrue(json.isNull("last_used_at"));
    }

    @Test
    void importedKeyKeepsItsValue() {
        MgwRunner.Result result = mgw.run("keys", "create", "--name", "default", "--limit", "15",
                                          "--key", "sk_test_default_key_123", "--json");
        assertEquals(0, result.exit(), result::toString);
        assertEquals("sk_test_default_key_123", result.<JsonObject>json().getString("key"));
        assertEquals("sk_test_defa", result.<JsonObject>json().getString("prefix"));
        assertTrue(secrets.verify("sk_test_default_key_123",
                                  db.queryString("SELECT key_hash FROM api_keys WHERE name = 'default'")));
    }

    @Test
    void importingTheSameSecretAgainSaysTheKeyExistsAndSucceeds() {
        String[] seed = {"keys", "create", "--name", "default", "--limit", "15", "--key", "sk_test_default_key_123"};
        assertEquals(0, mgw.run(seed).exit());
        String id = db.queryString("SELECT CAST(id AS text) FROM api_keys WHERE name = 'default'");

        MgwRunner.Result again = mgw.run(seed);
        assertEquals(0, again.exit(), again::toString);
        assertEquals("Key 'default' already exists with this secret (id " + id + ", prefix sk_test_defa, limit 15 "
                     + "recipients per UTC day); nothing changed.\n", again.out());
        assertEquals("", again.err());
        MgwRunner.Result json = mgw.run("keys", "create", "--name", "default", "--key", "sk_test_default_key_123", "--json");
        assertEquals(0, json.exit(), json::toString);
        assertEquals(id, json.<JsonObject>json().getString("id"));
        assertTrue(json.<JsonObject>json().getBoolean("already_existed"), json::toString);
        assertEquals(1, db.queryLong("SELECT count(*) FROM api_keys"), "no second key");

        MgwRunner.Result otherSecret = mgw.run("keys", "create", "--name", "default", "--key", "sk_test_another_key_456");
        assertEquals(1, otherSecret.exit(), otherSecret::toString);
        assertEquals("mgw: an active key named 'default' already exists\n", otherSecret.err());
    }

    @Test
    void badImportedKeyIsAnError() {
        MgwRunner.Result result = mgw.run("keys", "create", "--name", "x", "--key", "short");
        assertEquals(1, result.exit(), result::toString);
        assertEquals("mgw: --key must be 16 to 72 characters long\n", result.err());
    }

    @Test
    void allowedRecipientsAreNormalised() {
        MgwRunner.Result result = mgw.run("keys", "create", "--name", "narrow", "--json",
                                          "--allowed-recipients", "Ops@Example.com,@partner.example, bücher.example");
        assertEquals(0, result.exit(), result::toString);
        assertEquals(List.of("ops@example.com", "partner.example", "xn--bcher-kva.example"),
                     result.<JsonObject>json().getJsonArray("allowed_recipients").getValuesAs(JsonString::getString));
    }

    @Test
    void nameOfAnActiveKeyCannotBeReused() {
        assertEquals(0, mgw.run("keys", "create", "--name", "prod").exit());
        MgwRunner.Result again = mgw.run("keys", "create", "--name", "prod");
        assertEquals(1, again.exit(), again::toString);
        assertEquals("mgw: an active key named 'prod' already exists\n", again.err());

        assertEquals(0, mgw.run("keys", "revoke", "prod").exit());
        assertEquals(0, mgw.run("keys", "create", "--name", "prod").exit(), "free again once revoked");
    }

    @Test
    void listShowsActiveKeysAndAllWithRevoked() {
        mgw.run("keys", "create", "--name", "alpha", "--limit", "10");
        mgw.run("keys", "create", "--name", "beta", "--limit", "20");
        mgw.run("keys", "revoke", "beta");
        db.sql("INSERT INTO daily_usage (api_key_id, date, count) "
               + "SELECT id, (now() AT TIME ZONE 'UTC')::date, 4 FROM api_keys WHERE name = 'alpha'");

        MgwRunner.Result table = mgw.run("keys", "list");
        assertEquals(0, table.exit(), table::toString);
        String[] lines = table.out().split("\n");
        assertEquals(2, lines.length, table::toString);
        assertTrue(lines[0].matches("ID\\s+NAME\\s+PREFIX\\s+LIMIT\\s+USED TODAY\\s+STATUS\\s+CREATED\\s+LAST USED"), lines[0]);
        assertTrue(lines[1].matches(".*alpha\\s+\\S{12}\\s+10\\s+4\\s+active\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\dZ\\s+never"),
                   lines[1]);

        MgwRunner.Result json = mgw.run("keys", "list", "--all", "--json");
        assertEquals(0, json.exit(), json::toString);
        JsonArray keys = json.json();
        assertEquals(2, keys.size());
        assertEquals("alpha", keys.getJsonObject(0).getString("name"));
        assertEquals(4, keys.getJsonObject(0).getInt("used_today"));
        assertEquals("revoked", keys.getJsonObject(1).getString("status"));
        assertFalse(keys.getJsonObject(1).isNull("revoked_at"));
    }

    @Test
    void revokeStopsTheKeyAndCannotBeRepeated() {
        String id = create("ops").getString("id");
        MgwRunner.Result revoked = mgw.run("keys", "revoke", id, "--json");
        assertEquals(0, revoked.exit(), revoked::toString);
        assertEquals("revoked", revoked.<JsonObject>json().getString("status"));
        assertEquals("f", db.queryString("SELECT is_active FROM api_keys WHERE id = '" + id + "'"));

        MgwRunner.Result again = mgw.run("keys", "revoke", id);
        assertEquals(1, again.exit(), again::toString);
        assertTrue(again.err().contains("already revoked"), again::toString);
    }

    @Test
    void setLimitByPrefix() {
        JsonObject key = create("reports");
        MgwRunner.Result result = mgw.run("keys", "set-limit", key.getString("prefix"), "--limit", "250");
        assertEquals(0, result.exit(), result::toString);
        assertTrue(result.out().contains("daily limit 15 -> 250"), result::toString);
        assertEquals(250, db.queryLong("SELECT daily_limit FROM api_keys WHERE name = 'reports'"));

        MgwRunner.Result negative = mgw.run("keys", "set-limit", "reports", "--limit", "-1");
        assertEquals(1, negative.exit(), negative::toString);
    }

    @Test
    void rotateKeepsIdLimitAndUsageButReplacesTheSecret() {
        JsonObject before = create("rotating");
        String id = before.getString("id");
        db.sql("INSERT INTO daily_usage (api_key_id, date, count) VALUES ('" + id + "', CURRENT_DATE, 3)");

        MgwRunner.Result result = mgw.run("keys", "rotate", "rotating", "--json");
        assertEquals(0, result.exit(), result::toString);
        JsonObject after = result.json();
        assertEquals(id, after.getString("id"));
        assertEquals("rotating", after.getString("name"));
        assertEquals(15, after.getInt("daily_limit"));
        assertNotEquals(before.getString("key"), after.getString("key"));
        assertEquals(after.getString("key").substring(0, 12), after.getString("prefix"));

        String hash = db.queryString("SELECT key_hash FROM api_keys WHERE id = '" + id + "'");
        assertTrue(secrets.verify(after.getString("key"), hash));
        assertFalse(secrets.verify(before.getString("key"), hash), "the old secret no longer matches");
        assertEquals(3, db.queryLong("SELECT count FROM daily_usage WHERE api_key_id = '" + id + "'"));
    }

    @Test
    void keysResolveByIdNamePrefixOrItsStartAndAmbiguityListsTheMatches() {
        mgw.run("keys", "create", "--name", "one", "--key", "sk_live_aaaa_1111111111");
        mgw.run("keys", "create", "--name", "two", "--key", "sk_live_bbbb_2222222222");

        assertEquals(0, mgw.run("keys", "set-limit", "sk_live_aaaa", "--limit", "1").exit());
        assertEquals(0, mgw.run("keys", "set-limit", "sk_live_bb", "--limit", "2").exit());
        assertEquals(0, mgw.run("keys", "set-limit", "sk_live_bbbb_2222222222", "--limit", "3").exit(),
                     "a whole secret resolves by its prefix");
        assertEquals(3, db.queryLong("SELECT daily_limit FROM api_keys WHERE name = 'two'"));

        MgwRunner.Result ambiguous = mgw.run("keys", "revoke", "sk_live");
        assertEquals(1, ambiguous.exit(), ambiguous::toString);
        assertTrue(ambiguous.err().startsWith("mgw: 'sk_live' matches 2 keys: "), ambiguous::toString);
        assertTrue(ambiguous.err().contains("(one, sk_live_aaaa, active)"), ambiguous::toString);
        assertTrue(ambiguous.err().contains("(two, sk_live_bbbb, active)"), ambiguous::toString);
        assertEquals(1, ambiguous.err().lines().count());
        assertEquals(2, db.queryLong("SELECT count(*) FROM api_keys WHERE is_active"), "nothing revoked");

        MgwRunner.Result missing = mgw.run("keys", "revoke", "nope");
        assertEquals(1, missing.exit(), missing::toString);
        assertTrue(missing.err().startsWith("mgw: no key matches 'nope'"), missing::toString);
    }

    @Test
    void anActiveKeyWinsOverRevokedKeysOfTheSameName() {
        create("svc");
        mgw.run("keys", "revoke", "svc");
        String active = create("svc").getString("id");
        MgwRunner.Result result = mgw.run("keys", "set-limit", "svc", "--limit", "9", "--json");
        assertEquals(0, result.exit(), result::toString);
        assertEquals(active, result.<JsonObject>json().getString("id"));
    }

    @Test
    void usageErrorsExitWithTwo() {
        assertEquals(2, mgw.run("keys", "create").exit(), "--name is required");
        assertEquals(2, mgw.run("keys", "create", "--name", "x", "--limit", "lots").exit());
        assertEquals(2, mgw.run("keys", "frobnicate").exit());
        assertEquals(2, mgw.run("--no-such-option").exit());
    }

    @Test
    void unreachableDatabaseIsOneLineAndExitOne() {
        MgwRunner.Result result = mgw.run("keys", "list", "--database-url", "postgresql://postgres@127.0.0.1:1/nowhere");
        assertEquals(1, result.exit(), result::toString);
        assertEquals(1, result.err().lines().count(), result::toString);
        assertTrue(result.err().startsWith("mgw: database postgresql://postgres@127.0.0.1:1/nowhere is unavailable: "),
                   result::toString);
        assertFalse(result.err().contains("\tat "), "no stack trace");
    }

    @Test
    void aJdbcUrlWithCredentialsIsShownWithThePasswordMasked() {
        MgwRunner.Result result = mgw.run("keys", "list", "--database-url",
                                          "jdbc:postgresql://postgres:hunter2@127.0.0.1:1/nowhere");
        assertEquals(1, result.exit(), result::toString);
        assertTrue(result.err().startsWith("mgw: database postgresql://postgres:****@127.0.0.1:1/nowhere is unavailable: "),
                   result::toString);
        assertFalse(result.err().contains("hunter2"), result::toString);
    }

    @Test
    void badConfigurationIsOneLineAndExitOne() {
        MgwRunner.Result result = mgw.run("keys", "list", "--database-url", "mysql://nope");
        assertEquals(1, result.exit(), result::toString);
        assertTrue(result.err().startsWith("mgw: DATABASE_URL: "), result::toString);
    }

    @Test
    void versionAndHelp() {
        MgwRunner.Result version = mgw.run("--version");
        assertEquals(0, version.exit());
        assertTrue(version.out().startsWith("mgw 0."), version::toString);
        MgwRunner.Result help = mgw.run("keys", "create", "--help");
        assertEquals(0, help.exit());
        assertTrue(help.out().contains("--allowed-recipients"), help::toString);
    }

    @Test
    void completionScriptIsGenerated() {
        MgwRunner.Result result = mgw.run("generate-completion");
        assertEquals(0, result.exit(), result::toString);
        assertTrue(result.out().contains("complete -F"), "a bash completion script");
        assertTrue(result.out().contains("set-limit"), "knows the subcommands");
    }

    private JsonObject create(String name) {
        MgwRunner.Result result = mgw.run("keys", "create", "--name", name, "--json");
        assertEquals(0, result.exit(), result::toString);
        return result.json();
    }
}
