package dev.mgw.core.webhooks;

import java.util.Optional;
import java.util.UUID;

/**
 * Who acts on webhook endpoints: a key through the API, which sees only its own endpoints and
 * proves in each transaction that it still holds the secret it authenticated with (SPEC §5.1), or
 * an operator through {@code mgw}, who sees every endpoint.
 */
public sealed interface Owner {
    /** The key whose endpoints these are, if the actor is a key. */
    Optional<UUID> keyId();

    static Owner key(UUID keyId, String keyHash) {
        return new Key(keyId, keyHash);
    }

    static Owner operator() {
        return new Operator();
    }

    /** An API key and the bcrypt hash its secret matched. */
    record Key(UUID id, String hash) implements Owner {
        @Override
        public Optional<UUID> keyId() {
            return Optional.of(id);
        }

        @Override
        public String toString() {
            return "Key[" + id + "]";
        }
    }

    record Operator() implements Owner {
        @Override
        public Optional<UUID> keyId() {
            return Optional.empty();
        }
    }
}
