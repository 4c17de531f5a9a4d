package dev.mgw.core.keys;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import dev.mgw.core.MgwException;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KeySecretsTest {
    private final KeySecrets secrets = new KeySecrets(4);

    @Test
    void generatedKeysAreMgwAnd40Base62Characters() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String key = secrets.generate();
            assertTrue(key.matches("mgw_[0-9A-Za-z]{40}"), key);
            assertTrue(seen.add(key), "unique");
        }
    }

    /**
     * A gateway and every {@code mgw} command make their {@code KeySecrets} as they start: making one
     * hashes nothing (it hashed the dummy secret at its cost, two cold bcrypt hashes of a gateway's
     * start); at cost 31, 2^31 rounds, a hash would not end within the deadline.
     */
    @Test
    void makingOneHashesNothing() {
        KeySecrets expensive = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> new KeySecrets(31));

        assertTrue(expensive.generate().startsWith("mgw_"));
    }

    /** The first check of an unknown secret makes the dummy hash, the next one uses it. */
    @Test
    void unknownSecretsAreCheckedAgainstADummyHashMadeOnFirstUse() {
        assertDoesNotThrow(() -> secrets.verifyDummy(secrets.generate()));
        assertDoesNotThrow(() -> secrets.verifyDummy("mgw_short"));
    }

    @Test
    void prefixIsTheFirstTwelveCharacters() {
        assertEquals("mgw_AbCdEfGh", KeySecrets.prefix("mgw_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789ABCD"));
        assertEquals("sk_test_defa", KeySecrets.prefix("sk_test_default_key_123"));
    }

    @Test
    void hashVerifiesOnlyItsSecret() {
        String key = secrets.generate();
        String hash = secrets.hash(key);
        assertTrue(hash.startsWith("$2a$04$"), hash);
        assertTrue(secrets.verify(key, hash));
        assertFalse(secrets.verify(key + "x", hash));
        assertFalse(secrets.verify(key, "not-a-bcrypt-hash"));
        assertFalse(secrets.verify("x".repeat(100), hash), "over-long input is refused, not an error");
    }

    @Test
    void defaultCostIsTen() {
        assertTrue(new KeySecrets().hash("sk_test_default_key_123").startsWith("$2a$10$"));
    }

    @Test
    void importedSecretsMustBeSensible() {
        assertDoesNotThrow(() -> KeySecrets.checkImportable("sk_test_default_key_123"));
        assertThrows(MgwException.class, () -> KeySecrets.checkImportable("short"));
        assertThrows(MgwException.class, () -> KeySecrets.checkImportable("x".repeat(73)));
        assertThrows(MgwException.class, () -> KeySecrets.checkImportable("has a space in it ok"));
        assertThrows(MgwException.class, () -> KeySecrets.checkImportable("ünïcödé_key_value_1"));
    }
}
