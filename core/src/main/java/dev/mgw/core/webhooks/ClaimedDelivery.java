package dev.mgw.core.webhooks;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

import dev.mgw.core.config.Secret;

/**
 * A webhook delivery claimed for one attempt: where it goes, what it says, how to sign it, and the
 * attempt number this claim gave it (only this attempt may record the outcome).
 *
 * @param eventId         the {@code webhook-id}: the same on every attempt
 * @param payload         the body, sent byte for byte as stored
 * @param createdAt       when the event was stored: the start of {@code webhook_delivery_seconds}
 * @param previousSecret  the secret before a rotation, while it still signs (24 h)
 */
public record ClaimedDelivery(long id,
                              UUID endpointId,
                              UUID keyId,
                              UUID eventId,
                              String type,
                              String payload,
                              int attempt,
                              Instant createdAt,
                              String url,
                              Secret secret,
                              Optional<Secret> previousSecret) {

    @Override
    public String toString() {
        return "ClaimedDelivery[" + id + ", " + type + " to endpoint " + endpointId + ", attempt " + attempt + "]";
    }
}
