package dev.mgw.core.keys;

/**
 * The key a caller proved is revoked, or rotated to another secret, since it was proved (its
 * cached proof is stale): the request is refused as unauthenticated.
 */
public final class KeyNoLongerValidException extends RuntimeException {
    public KeyNoLongerValidException() {
        super("the key is no longer valid", null, false, false);
    }
}
