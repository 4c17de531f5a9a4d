package dev.mgw.core.events;

import java.time.Instant;
import java.util.Optional;

import jakarta.json.JsonObject;

/**
 * One event of a message's timeline as the API shows it: {@code {"type", "at", "recipient"?,
 * "smtp_code"?, "smtp_reply"?, "detail"?}}.
 */
public record TimelineEvent(TimelineType type,
                            Instant at,
                            Optional<String> recipient,
                            Optional<Integer> smtpCode,
                            Optional<String> smtpReply,
                            Optional<JsonObject> detail) {
}
