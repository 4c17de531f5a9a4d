package dev.mgw.core.events;

import java.util.Arrays;
import java.util.Optional;

/** The events of a message's timeline (SPEC §10), and the webhook event each one is pushed as. */
public enum TimelineType {
    ACCEPTED("accepted", null),
    SUPPRESSED("suppressed", EventType.SUPPRESSED),
    DEFERRED("deferred", EventType.DEFERRED),
    SENT("sent", EventType.SENT),
    BOUNCED("bounced", EventType.BOUNCED),
    FAILED("failed", EventType.FAILED),
    CANCELED("canceled", EventType.CANCELED);

    private final String wireName;
    private final EventType webhook;

    TimelineType(String wireName, EventType webhook) {
        this.wireName = wireName;
        this.webhook = webhook;
    }

    /** The name in {@code message_events.type} and in the API, e.g. {@code bounced}. */
    public String wireName() {
        return wireName;
    }

    /** The webhook event it is pushed as; {@code accepted} is not pushed. */
    public Optional<EventType> webhook() {
        return Optional.ofNullable(webhook);
    }

    public static Optional<TimelineType> of(String wireName) {
        return Arrays.stream(values()).filter(type -> type.wireName.equals(wireName)).findFirst();
    }

    @Override
    public String toString() {
        return wireName;
    }
}
