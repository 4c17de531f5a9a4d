package dev.mgw.core.keys;

/** A key just created or rotated, with its secret: the only moment the secret is known. */
public record CreatedKey(ApiKey key, String secret) {
    @Override
    public String toString() {
        return "CreatedKey[" + key.id() + ", prefix " + key.prefix() + "]";
    }
}
