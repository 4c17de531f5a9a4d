package dev.mgw.core.keys;

/**
 * A key with its bcrypt hash, for authentication. The hash also identifies the current secret:
 * rotating a key changes it, so a cache keyed on an old secret no longer matches.
 */
public record StoredKey(ApiKey key, String hash) {
    @Override
    public String toString() {
        return "StoredKey[" + key.id() + ", prefix " + key.prefix() + "]";
    }
}
