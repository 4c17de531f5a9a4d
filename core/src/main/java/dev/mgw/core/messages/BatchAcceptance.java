package dev.mgw.core.messages;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;

import dev.mgw.core.quota.Charge;

/** What became of a {@link BatchSubmission}. Anything but {@link Accepted} stored and charged nothing. */
public sealed interface BatchAcceptance {
    /** Every item stored (or reported suppressed), the batch charged once: committed. */
    record Accepted(List<Item> items, Charge charge) implements BatchAcceptance {
    }

    /** The same Idempotency-Key and batch were accepted before: the items it answered then. */
    record Replayed(List<Item> items, OptionalInt remaining) implements BatchAcceptance {
    }

    /** The same Idempotency-Key came with a different batch. */
    record IdempotencyMismatch() implements BatchAcceptance {
    }

    /** The charge would pass the daily limit: nothing stored. */
    record OverQuota(Charge standing, int requested) implements BatchAcceptance {
    }

    /** The key was revoked or rotated after the caller verified it: nothing stored. */
    record KeyInvalid() implements BatchAcceptance {
    }

    /**
     * One item's result, in request order: the stored message's id, and the recipients dropped
     * because they are suppressed; without an id, every recipient was suppressed and nothing stored.
     */
    record Item(Optional<UUID> id, List<String> suppressed) {
        public Item {
            suppressed = List.copyOf(suppressed);
        }
    }
}
