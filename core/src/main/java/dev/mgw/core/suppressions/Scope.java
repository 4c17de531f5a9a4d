package dev.mgw.core.suppressions;

import java.util.Optional;
import java.util.UUID;

/** Whose suppression list: one key's, the global one (every key), or (for operators reading) all of them. */
public record Scope(Optional<UUID> keyId, boolean onlyGlobal) {
    public static Scope key(UUID keyId) {
        return new Scope(Optional.of(keyId), false);
    }

    public static Scope globalList() {
        return new Scope(Optional.empty(), true);
    }

    public static Scope all() {
        return new Scope(Optional.empty(), false);
    }
}
