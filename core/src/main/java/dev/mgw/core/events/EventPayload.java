package dev.mgw.core.events;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

import io.helidon.dbclient.DbStatement;

/**
 * The webhook payload of SPEC §11, built by PostgreSQL inside the statement that stores it:
 * <pre>{"type":"message.sent","created_at":"…","data":{"message_id","api_key_id","recipient"?,
 * "recipients"?,"smtp_code"?,"smtp_reply"?,"attempt"?,"next_attempt_at"?,"tags","request_id"}}</pre>
 * As a SQL expression it costs nothing where the statement selects no row (a key without
 * endpoints), and the text it produces is stored and signed as it is. Fields without a value are
 * left out; {@code tags} and {@code request_id} come from the message row.
 */
public final class EventPayload {
    /** The payload as a {@code json} value; its named parameters are set by {@link #bind}. */
    public static final String SQL = """
            json_strip_nulls(json_build_object(
                'type', CAST(:event_type AS text),
                'created_at', CAST(:event_created_at AS text),
                'data', json_build_object(
                    'message_id', CAST(:event_message_id AS uuid),
                    'api_key_id', CAST(:event_api_key_id AS uuid),
                    'recipient', CAST(:event_recipient AS text),
                    'recipients', CAST(:event_recipients AS text[]),
                    'smtp_code', CAST(:event_smtp_code AS integer),
                    'smtp_reply', CAST(:event_smtp_reply AS text),
                    'attempt', CAST(:event_attempt AS integer),
                    'next_attempt_at', CAST(:event_next_attempt_at AS text),
                    'tags', COALESCE((SELECT tags FROM messages WHERE id = CAST(:event_message_id AS uuid)),
                                     CAST('{}' AS jsonb)),
                    'request_id', COALESCE(CAST(:event_request_id AS text),
                                           (SELECT request_id FROM messages WHERE id = CAST(:event_message_id AS uuid))))))""";

    private EventPayload() {
    }

    /** Sets the parameters of {@link #SQL} for this event of this key. */
    public static <S extends DbStatement<S>> S bind(S statement, UUID keyId, Event event) {
        return statement.addParam("event_type", event.type().wireName())
                .addParam("event_created_at", time(event.at()))
                .addParam("event_message_id", event.messageId().map(UUID::toString).orElse(null))
                .addParam("event_api_key_id", keyId.toString())
                .addParam("event_recipient", event.recipient().orElse(null))
                .addParam("event_recipients", event.recipients().isEmpty() ? null : event.recipients().toArray(String[]::new))
                .addParam("event_smtp_code", event.smtpCode().isPresent() ? event.smtpCode().getAsInt() : null)
                .addParam("event_smtp_reply", event.smtpReply().orElse(null))
                .addParam("event_attempt", event.attempt().isPresent() ? event.attempt().getAsInt() : null)
                .addParam("event_next_attempt_at", event.nextAttemptAt().map(EventPayload::time).orElse(null))
                .addParam("event_request_id", event.requestId().orElse(null));
    }

    /** RFC 3339 in UTC, to the millisecond. */
    private static String time(Instant instant) {
        return instant.truncatedTo(ChronoUnit.MILLIS).toString();
    }
}
