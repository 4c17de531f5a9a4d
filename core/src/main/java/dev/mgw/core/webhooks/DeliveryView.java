package dev.mgw.core.webhooks;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** One webhook delivery as its key and operators see it (never its body). */
public record DeliveryView(long id,
                           UUID eventId,
                           String type,
                           String status,
                           int attempts,
                           Optional<Instant> nextAttemptAt,
                           Optional<Integer> lastResponseCode,
                           Optional<String> lastResponseBody,
                           Optional<String> lastError,
                           Instant createdAt,
                           Instant updatedAt,
                           Optional<Instant> deliveredAt) {
}
