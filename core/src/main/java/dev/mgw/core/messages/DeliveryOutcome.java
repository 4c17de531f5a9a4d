package dev.mgw.core.messages;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * What a delivery attempt came to; recorded only if the attempt still owns the message, with the
 * timeline events it means (SPEC §10) in the same transaction.
 */
public sealed interface DeliveryOutcome {
    UUID id();

    /** The attempt number of the claim that produced this outcome. */
    int attempt();

    /**
     * The relay took it (or the sandbox rendered it).
     *
     * @param note       recipients the relay refused, when it took the message for the others
     * @param reply      the relay's reply to the message (its 250)
     * @param recipients the recipients it was taken for in this attempt
     * @param refusals   the recipients the relay refused (each {@code bounced})
     */
    record Sent(UUID id, int attempt, Instant at, String transport, String messageIdHeader, Optional<String> note,
                Optional<RelayReply> reply, List<String> recipients, List<Refusal> refusals) implements DeliveryOutcome {
        public Sent {
            recipients = List.copyOf(recipients);
            refusals = List.copyOf(refusals);
        }
    }

    /**
     * A transient failure: queued again for {@code nextAttemptAt}.
     *
     * @param reply    the relay's reply that made it transient, if it gave one
     * @param taken    recipients the relay took the message for in this attempt: not sent to again
     * @param refusals recipients refused in this attempt: a 5xx one {@code bounced} (not tried again), a
     *                 4xx one {@code deferred}
     */
    record Retry(UUID id, int attempt, String error, Instant nextAttemptAt, Optional<RelayReply> reply,
                 List<String> taken, List<Refusal> refusals) implements DeliveryOutcome {
        public Retry {
            taken = List.copyOf(taken);
            refusals = List.copyOf(refusals);
        }

        public Retry(UUID id, int attempt, String error, Instant nextAttemptAt) {
            this(id, attempt, error, nextAttemptAt, Optional.empty(), List.of(), List.of());
        }
    }

    /**
     * A permanent failure, or the last attempt failed.
     *
     * @param refusals recipients refused in this attempt (a 5xx one {@code bounced})
     */
    record Failed(UUID id, int attempt, String error, Optional<RelayReply> reply, List<Refusal> refusals)
            implements DeliveryOutcome {
        public Failed {
            refusals = List.copyOf(refusals);
        }

        public Failed(UUID id, int attempt, String error) {
            this(id, attempt, error, Optional.empty(), List.of());
        }
    }

    /** Claimed but not attempted (shutdown, lease running short): queued again, the attempt not counted. */
    record Released(UUID id, int attempt, Instant nextAttemptAt, Optional<String> lastError) implements DeliveryOutcome {
    }
}
