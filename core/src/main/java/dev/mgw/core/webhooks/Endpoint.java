package dev.mgw.core.webhooks;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A webhook endpoint as its key and operators see it (never its secret).
 *
 * @param disabledReason   why it is disabled: a 410, three days of failures, or by hand
 * @param failingSince     the first failed attempt since the latest delivered one
 * @param secretRotatedUntil while a rotation's previous secret still signs: until when
 * @param lastDelivery     the latest attempted delivery: when, and the response code if there was a response
 */
public record Endpoint(UUID id,
                       UUID keyId,
                       String url,
                       Optional<String> description,
                       List<String> events,
                       boolean enabled,
                       Optional<String> disabledReason,
                       Optional<Instant> failingSince,
                       Optional<Instant> secretRotatedUntil,
                       Instant createdAt,
                       Instant updatedAt,
                       Optional<LastDelivery> lastDelivery) {

    public Endpoint {
        events = List.copyOf(events);
    }

    public record LastDelivery(Instant at, Optional<Integer> responseCode) {
    }
}
