package dev.mgw.core.events;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The events pushed to webhook endpoints (SPEC §11): one per timeline event of §10 but
 * {@code accepted}, which is not pushed, and {@code webhook.test}.
 */
public enum EventType {
    SENT("message.sent"),
    DEFERRED("message.deferred"),
    BOUNCED("message.bounced"),
    FAILED("message.failed"),
    SUPPRESSED("message.suppressed"),
    CANCELED("message.canceled"),
    WEBHOOK_TEST("webhook.test");

    /** Every type by its name, in the SPEC's order: what an endpoint subscribes to by default. */
    public static final List<String> NAMES = Arrays.stream(values()).map(EventType::wireName).toList();

    private final String wireName;

    EventType(String wireName) {
        this.wireName = wireName;
    }

    /** The name in payloads and subscriptions, e.g. {@code message.sent}. */
    public String wireName() {
        return wireName;
    }

    public static Optional<EventType> of(String wireName) {
        return Arrays.stream(values()).filter(type -> type.wireName.equals(wireName)).findFirst();
    }

    @Override
    public String toString() {
        return wireName;
    }
}
