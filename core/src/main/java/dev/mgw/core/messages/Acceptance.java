package dev.mgw.core.messages;

import java.util.List;
import java.util.OptionalInt;
import java.util.UUID;

import dev.mgw.core.quota.Charge;

/** What became of a {@link Submission}. */
public sealed interface Acceptance {
    /** Stored and charged: committed; {@code suppressed} recipients were dropped (not charged, not sent to). */
    record Accepted(UUID id, Charge charge, List<String> suppressed) implements Acceptance {
        public Accepted {
            suppressed = List.copyOf(suppressed);
        }
    }

    /** The same Idempotency-Key and body were accepted before: nothing new stored or charged. */
    record Replayed(UUID id, OptionalInt remaining, List<String> suppressed) implements Acceptance {
        public Replayed {
            suppressed = List.copyOf(suppressed);
        }
    }

    /** Every recipient is suppressed: nothing stored or charged. */
    record AllSuppressed(List<String> suppressed) implements Acceptance {
        public AllSuppressed {
            suppressed = List.copyOf(suppressed);
        }
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
