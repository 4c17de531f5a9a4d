package dev.mgw.core.messages;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import jakarta.json.JsonObjectBuilder;

import static dev.mgw.core.JsonP.JSON;

/**
 * What a listing of messages is narrowed to; every part optional. {@code to} matches a to, cc or
 * bcc recipient (case-insensitively); {@code tags} must all be on the message; {@code since} is
 * inclusive and {@code until} exclusive, on the time the message was accepted.
 */
public record MessageFilter(Optional<String> status,
                            Optional<UUID> keyId,
                            Optional<String> to,
                            Map<String, String> tags,
                            Optional<Instant> since,
                            Optional<Instant> until) {
    /** The statuses a message can have. */
    public static final List<String> STATUSES = List.of("queued", "sending", "sent", "failed", "canceled");

    public MessageFilter {
        tags = Map.copyOf(tags);
    }

    public static MessageFilter none() {
        return new MessageFilter(Optional.empty(), Optional.empty(), Optional.empty(), Map.of(), Optional.empty(),
                                 Optional.empty());
    }

    public MessageFilter withKey(UUID keyId) {
        return new MessageFilter(status, Optional.of(keyId), to, tags, since, until);
    }

    public MessageFilter withSince(Instant since) {
        return new MessageFilter(status, keyId, to, tags, Optional.of(since), until);
    }

    /** The tags as the JSON object a message's tags must contain. */
    String tagsJson() {
        JsonObjectBuilder json = JSON.createObjectBuilder();
        tags.forEach(json::add);
        return json.build().toString();
    }
}
