package dev.mgw.core.messages;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** What a delivery attempt came to; recorded only if the attempt still owns the message. */
public sealed interface DeliveryOutcome {
    UUID id();

    /** The attempt number of the claim that produced this outcome. */
    int attempt();

    /**
     * The relay took it (or the sandbox rendered it).
     *
     * @param note recipients the relay refused, when it took the message for the others
     */
    record Sent(UUID id, int attempt, Instant at, String transport, String messageIdHeader, Optional<String> note)
            implements DeliveryOutcome {
    }

    /** A transient failure: queued again for {@code nextAttemptAt}. */
    record Retry(UUID id, int attempt, String error, Instant nextAttemptAt) implements DeliveryOutcome {
    }

    /** A permanent failure, or the last attempt failed. */
    record Failed(UUID id, int attempt, String error) implements DeliveryOutcome {
    }

    /** Claimed but not attempted (shutdown, lease running short): queued again, the attempt not counted. */
    record Released(UUID id, int attempt, Instant nextAttemptAt, Optional<String> lastError) implements DeliveryOutcome {
    }
}
