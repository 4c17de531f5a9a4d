package dev.mgw.core.events;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

import dev.mgw.core.db.Database;
import dev.mgw.core.db.Rows;
import dev.mgw.core.messages.MessageIds;
import dev.mgw.core.messages.MessageView;
import dev.mgw.core.webhooks.WebhookOutbox;

import io.helidon.dbclient.DbExecute;
import io.helidon.dbclient.DbRow;

import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;

import static dev.mgw.core.JsonP.JSON;

/**
 * The timeline of messages (SPEC §10). Each event is written in the transaction of the change it
 * records, together with its webhook deliveries ({@link WebhookOutbox#enqueue}), so that neither
 * can be lost nor exist without the change. {@code accepted} and {@code sent} are read from the
 * message row (its creation time; its {@code sent_at} and the relay's reply): they get no row of
 * their own, only webhook deliveries where an endpoint wants them ({@link #announce}).
 */
public final class Timeline {
    private static final String INSERT = """
            INSERT INTO message_events (id, message_id, api_key_id, type, recipient, at, smtp_code, smtp_reply, detail)
            VALUES (CAST(:id AS uuid), CAST(:message AS uuid), CAST(:key AS uuid), :type, :recipient, :at, :smtp_code,
                    :smtp_reply, CAST(:detail AS jsonb))
            """;
    private static final String ROWS = """
            SELECT type, recipient, at, smtp_code, smtp_reply, detail
              FROM message_events
             WHERE message_id = :message
             ORDER BY at, id
            """;

    private static final String SUPPRESSED_RECIPIENTS = """
            SELECT recipient FROM message_events WHERE message_id = :message AND type = 'suppressed' ORDER BY at, id
            """;

    private final Database database;
    private final WebhookOutbox webhooks;
    private final Clock clock;

    public Timeline(Database database, WebhookOutbox webhooks, Clock clock) {
        this.database = database;
        this.webhooks = webhooks;
        this.clock = clock;
    }

    /**
     * Records one event of a message in the caller's transaction, and queues its webhook
     * deliveries there too (one indexed lookup when the key has no endpoints). Returns the event's
     * id, which is also the {@code webhook-id} of its deliveries.
     *
     * @param recipient the one recipient the event is about, or null for the whole message
     * @param smtpCode  the relay's reply code, or null
     * @param smtpReply the relay's reply text, or null
     * @param detail    more about it, or null: {@code next_attempt_at} (RFC 3339), {@code attempt},
     *                  {@code recipients} are also put in the webhook payload
     */
    public UUID record(DbExecute tx, UUID messageId, UUID keyId, TimelineType type, String recipient, Integer smtpCode,
                       String smtpReply, JsonObject detail) {
        return record(tx, clock.instant(), messageId, keyId, type, recipient, smtpCode, smtpReply, detail);
    }

    /** As {@link #record(DbExecute, UUID, UUID, TimelineType, String, Integer, String, JsonObject)}, at a given time. */
    public UUID record(DbExecute tx, Instant at, UUID messageId, UUID keyId, TimelineType type, String recipient,
                       Integer smtpCode, String smtpReply, JsonObject detail) {
        UUID id = MessageIds.next(clock);
        tx.createNamedInsert("insert-message-event", INSERT)
                .addParam("id", id.toString())
                .addParam("message", messageId.toString())
                .addParam("key", keyId.toString())
                .addParam("type", type.wireName())
                .addParam("recipient", recipient)
                .addParam("at", Rows.param(at))
                .addParam("smtp_code", smtpCode)
                .addParam("smtp_reply", smtpReply)
                .addParam("detail", detail == null ? null : detail.toString())
                .execute();
        enqueue(tx, id, messageId, keyId, type, at, recipient, smtpCode, smtpReply, detail);
        return id;
    }

    /**
     * An event the timeline reads from the message row ({@code sent}): no row of its own, only its
     * webhook deliveries, in the caller's transaction (one indexed lookup when the key has no
     * endpoints). Parameters as in {@link #record}.
     */
    public void announce(DbExecute tx, UUID messageId, UUID keyId, TimelineType type, Integer smtpCode,
                         String smtpReply, JsonObject detail) {
        enqueue(tx, MessageIds.next(clock), messageId, keyId, type, clock.instant(), null, smtpCode, smtpReply, detail);
    }

    /** The keys among {@code keys} with an enabled webhook endpoint ({@link WebhookOutbox#keysWithEndpoints}). */
    public Set<UUID> keysWithEndpoints(DbExecute tx, Collection<UUID> keys) {
        return webhooks.keysWithEndpoints(tx, keys);
    }

    /** The time an event recorded now gets. */
    public Instant now() {
        return clock.instant();
    }

    /** The recipients dropped from a message at accept because they were suppressed, in the caller's transaction. */
    public List<String> suppressedRecipients(DbExecute tx, UUID messageId) {
        return tx.createQuery(SUPPRESSED_RECIPIENTS)
                .addParam("message", messageId.toString())
                .execute()
                .map(row -> Rows.string(row, "recipient"))
                .toList();
    }

    /** The event rows of a message, oldest first (without the events read from its row). */
    public List<TimelineEvent> rows(UUID messageId) {
        return database.run(() -> database.client().execute()
                .createQuery(ROWS)
                .addParam("message", messageId.toString())
                .execute()
                .map(Timeline::event)
                .toList());
    }

    /**
     * A message's whole timeline, oldest first: {@code accepted} at its creation, its event rows,
     * and, once it is sent, {@code sent} at {@code sent_at} with the relay's reply and the
     * recipients it went to (every recipient but the bounced ones).
     */
    public List<TimelineEvent> of(MessageView message) {
        List<TimelineEvent> rows = rows(message.id());
        List<TimelineEvent> all = new ArrayList<>(rows.size() + 2);
        all.add(new TimelineEvent(TimelineType.ACCEPTED, message.createdAt(), Optional.empty(), Optional.empty(),
                                  Optional.empty(), Optional.empty()));
        all.addAll(rows);
        if (message.status().equals("sent") && message.sentAt().isPresent()) {
            Set<String> bounced = new HashSet<>();
            rows.stream().filter(event -> event.type() == TimelineType.BOUNCED)
                    .forEach(event -> event.recipient().ifPresent(bounced::add));
            JsonArrayBuilder recipients = JSON.createArrayBuilder();
            Stream.of(message.to(), message.cc(), message.bcc()).flatMap(List::stream)
                    .filter(recipient -> !bounced.contains(recipient))
                    .forEach(recipients::add);
            all.add(new TimelineEvent(TimelineType.SENT, message.sentAt().get(), Optional.empty(), message.smtpCode(),
                                      message.smtpReply(),
                                      Optional.of(JSON.createObjectBuilder().add("recipients", recipients).build())));
        }
        all.sort(Comparator.comparing(TimelineEvent::at));
        return all;
    }

    private void enqueue(DbExecute tx, UUID eventId, UUID messageId, UUID keyId, TimelineType type, Instant at,
                         String recipient, Integer smtpCode, String smtpReply, JsonObject detail) {
        Optional<EventType> webhook = type.webhook();
        if (webhook.isEmpty()) {
            return;
        }
        Event event = new Event(webhook.get(), at, Optional.of(messageId), Optional.ofNullable(recipient),
                                detail != null && detail.get("recipients") instanceof JsonArray recipients
                                        ? recipients.getValuesAs(JsonString.class).stream().map(JsonString::getString).toList()
                                        : List.of(),
                                smtpCode == null ? OptionalInt.empty() : OptionalInt.of(smtpCode),
                                Optional.ofNullable(smtpReply),
                                detail != null && detail.get("attempt") instanceof JsonNumber attempt
                                        ? OptionalInt.of(attempt.intValue()) : OptionalInt.empty(),
                                detail != null && detail.get("next_attempt_at") instanceof JsonString next
                                        ? Optional.of(Instant.parse(next.getString())) : Optional.empty(),
                                Optional.empty());
        webhooks.enqueue(tx, keyId, eventId, event);
    }

    private static TimelineEvent event(DbRow row) {
        return new TimelineEvent(TimelineType.of(Rows.string(row, "type")).orElseThrow(),
                                 Rows.instant(row, "at"),
                                 Rows.optionalString(row, "recipient"),
                                 Rows.optionalInteger(row, "smtp_code"),
                                 Rows.optionalString(row, "smtp_reply"),
                                 Optional.ofNullable(Rows.json(row, "detail")));
    }
}
