package dev.mgw.core.webhooks;

import java.time.Instant;
import java.util.Optional;

import jakarta.json.JsonObjectBuilder;

import static dev.mgw.core.JsonP.JSON;

/** The JSON shape of an endpoint and of a delivery, the same in the API and in {@code mgw --json}; never a secret. */
public final class WebhookJson {
    private WebhookJson() {
    }

    public static JsonObjectBuilder endpoint(Endpoint e) {
        JsonObjectBuilder json = JSON.createObjectBuilder()
                .add("id", e.id().toString())
                .add("api_key_id", e.keyId().toString())
                .add("url", e.url());
        nullable(json, "description", e.description());
        json.add("events", JSON.createArrayBuilder(e.events()))
                .add("enabled", e.enabled());
        nullable(json, "disabled_reason", e.disabledReason());
        nullable(json, "failing_since", e.failingSince().map(Instant::toString));
        nullable(json, "previous_secret_expires_at", e.secretRotatedUntil().map(Instant::toString));
        nullable(json, "last_delivery_at", e.lastDelivery().map(last -> last.at().toString()));
        nullableNumber(json, "last_response_code", e.lastDelivery().flatMap(Endpoint.LastDelivery::responseCode));
        return json.add("created_at", e.createdAt().toString())
                .add("updated_at", e.updatedAt().toString());
    }

    public static JsonObjectBuilder delivery(DeliveryView d) {
        JsonObjectBuilder json = JSON.createObjectBuilder()
                .add("id", d.id())
                .add("event_id", d.eventId().toString())
                .add("type", d.type())
                .add("status", d.status())
                .add("attempts", d.attempts());
        nullable(json, "next_attempt_at", d.nextAttemptAt().map(Instant::toString));
        nullableNumber(json, "last_response_code", d.lastResponseCode());
        nullable(json, "last_response_body", d.lastResponseBody());
        nullable(json, "last_error", d.lastError());
        json.add("created_at", d.createdAt().toString());
        nullable(json, "delivered_at", d.deliveredAt().map(Instant::toString));
        return json;
    }

    private static void nullable(JsonObjectBuilder json, String name, Optional<String> value) {
        value.ifPresentOrElse(v -> json.add(name, v), () -> json.addNull(name));
    }

    private static void nullableNumber(JsonObjectBuilder json, String name, Optional<Integer> value) {
        value.ifPresentOrElse(v -> json.add(name, v), () -> json.addNull(name));
    }
}
