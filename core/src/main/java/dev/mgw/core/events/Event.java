package dev.mgw.core.events;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;

/**
 * What happened, as the webhook payload of SPEC §11 tells it: the {@code data} fields that apply
 * to the type, the rest empty. The message's {@code tags} and {@code request_id} are read from
 * its row when the payload is built (see {@link EventPayload}), so a caller never has to carry them.
 *
 * @param at          when it happened: the payload's {@code created_at}
 * @param messageId   empty only for {@code webhook.test}
 * @param recipient   the one recipient a {@code bounced}, {@code suppressed} or per-recipient {@code deferred} is about
 * @param recipients  the recipients a {@code sent} went to
 * @param requestId   overrides the message's request id (a test event has no message: the request that asked for it)
 */
public record Event(EventType type,
                    Instant at,
                    Optional<UUID> messageId,
                    Optional<String> recipient,
                    List<String> recipients,
                    OptionalInt smtpCode,
                    Optional<String> smtpReply,
                    OptionalInt attempt,
                    Optional<Instant> nextAttemptAt,
                    Optional<String> requestId) {

    public Event {
        recipients = List.copyOf(recipients);
    }

    /** An event about a message with nothing else to say (e.g. {@code message.canceled}). */
    public static Event of(EventType type, UUID messageId, Instant at) {
        return new Event(type, at, Optional.of(messageId), Optional.empty(), List.of(), OptionalInt.empty(),
                         Optional.empty(), OptionalInt.empty(), Optional.empty(), Optional.empty());
    }

    /** {@code webhook.test}, asked for by the request with this id. */
    public static Event test(Instant at, String requestId) {
        return new Event(EventType.WEBHOOK_TEST, at, Optional.empty(), Optional.empty(), List.of(), OptionalInt.empty(),
                         Optional.empty(), OptionalInt.empty(), Optional.empty(), Optional.ofNullable(requestId));
    }

    public Event withRecipient(String address) {
        return new Event(type, at, messageId, Optional.of(address), recipients, smtpCode, smtpReply, attempt,
                         nextAttemptAt, requestId);
    }

    public Event withRecipients(List<String> addresses) {
        return new Event(type, at, messageId, recipient, addresses, smtpCode, smtpReply, attempt, nextAttemptAt,
                         requestId);
    }

    /** The relay's reply: its code and text. */
    public Event withReply(int code, String reply) {
        return new Event(type, at, messageId, recipient, recipients, OptionalInt.of(code), Optional.of(reply), attempt,
                         nextAttemptAt, requestId);
    }

    public Event withAttempt(int number) {
        return new Event(type, at, messageId, recipient, recipients, smtpCode, smtpReply, OptionalInt.of(number),
                         nextAttemptAt, requestId);
    }

    public Event withNextAttemptAt(Instant next) {
        return new Event(type, at, messageId, recipient, recipients, smtpCode, smtpReply, attempt, Optional.of(next),
                         requestId);
    }
}
