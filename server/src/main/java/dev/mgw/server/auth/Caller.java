package dev.mgw.server.auth;

import java.util.UUID;

import dev.mgw.core.keys.ApiKey;
import dev.mgw.core.keys.StoredKey;

/**
 * The key a request proved it holds.
 *
 * @param digest SHA-256 of the secret: the cache entry to drop if the key turns out revoked
 */
public record Caller(StoredKey stored, String digest) {
    public UUID keyId() {
        return stored.key().id();
    }

    public ApiKey key() {
        return stored.key();
    }

    /** The bcrypt hash the secret matched: database statements only act while the key still has it. */
    public String keyHash() {
        return stored.hash();
    }

    @Override
    public String toString() {
        return "Caller[" + keyId() + "]";
    }
}
