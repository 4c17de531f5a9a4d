package dev.mgw.core.messages;

import java.util.OptionalInt;
import java.util.UUID;

import dev.mgw.core.quota.Charge;

/** What became of a {@link Submission}. */
public sealed interface Acceptance {
    /** Stored and charged: committed. */
    record Accepted(UUID id, Charge charge) implements Acceptance {
    }

    /** The same Idempotency-Key and body were accepted before: nothing new stored or charged. */
    record Replayed(UUID id, OptionalInt remaining) implements Acceptance {
    }

    /** The same Idempotency-Key came with a different body. */
    record IdempotencyMismatch(UUID originalId) implements Acceptance {
    }

    /**
     * The Idempotency-Key kept changing hands between concurrent requests while this one tried
     * to take it: nothing stored; the client retries and gets the replay.
     */
    record IdempotencyInFlight() implements Acceptance {
    }

    /** The charge would pass the daily limit: nothing stored. */
    record OverQuota(Charge standing, int requested) implements Acceptance {
    }

    /** The key was revoked or rotated after the caller verified it: nothing stored. */
    record KeyInvalid() implements Acceptance {
    }
}
