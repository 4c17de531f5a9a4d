package dev.mgw.core.messages;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import dev.mgw.core.db.Database;
import dev.mgw.core.db.Rows;
import dev.mgw.core.events.Timeline;
import dev.mgw.core.events.TimelineType;
import dev.mgw.core.suppressions.Suppressions;

import io.helidon.dbclient.DbExecute;
import io.helidon.dbclient.DbRow;

import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;

import static dev.mgw.core.JsonP.JSON;

/**
 * The outbox as delivery workers see it. Claiming marks due messages {@code sending} under a
 * lease with {@code FOR UPDATE SKIP LOCKED}, so concurrent workers and processes never take the
 * same row; a {@code sending} row whose lease ran out (its worker died) is due again. Every claim
 * counts an attempt; a lease is renewed, and an outcome recorded, only while the row is still
 * {@code sending} at that attempt.
 */
public final class DeliveryQueue {
    /** Due work, found through the partial index on next_attempt_at; for sending rows that is the lease end. */
    private static final String CLAIM = """
            UPDATE messages AS m
               SET status = 'sending',
                   attempts = m.attempts + 1,
                   locked_until = now() + make_interval(secs => ?),
                   next_attempt_at = now() + make_interval(secs => ?),
                   updated_at = now()
             WHERE m.id IN (SELECT id FROM messages
                             WHERE status IN ('queued', 'sending') AND next_attempt_at <= now()
                             ORDER BY next_attempt_at
                             LIMIT ?
                             FOR UPDATE SKIP LOCKED)
            RETURNING m.id, m.api_key_id, m.attempts, m.sender, m.sender_name, m.reply_to, m.to_recipients,
                      m.cc_recipients, m.bcc_recipients, m.subject, m.text_body, m.html_body, m.headers,
                      m.created_at, m.request_id, m.last_error, m.attachment_count, m.settled_recipients,
                      m.source
            """;
    /**
     * The outcomes, fenced by attempt; returns the rows recorded, with their keys for the events.
     * The rows are locked first, in the order of their ids, as {@link #RENEW} locks them: locked in
     * the order given (the order the sends ended), a record and a renewal of the same claims could
     * each wait for a row the other held.
     */
    private static final String RECORD = """
            WITH v AS (
                SELECT o.*
                  FROM messages AS m
                  JOIN unnest(CAST(? AS uuid[]), CAST(? AS int[]), CAST(? AS text[]),
                              CAST(? AS int[]), CAST(? AS timestamptz[]), CAST(? AS text[]),
                              CAST(? AS text[]), CAST(? AS text[]), CAST(? AS timestamptz[]),
                              CAST(? AS int[]), CAST(? AS text[]), CAST(? AS text[]))
                       AS o(id, attempt, status, attempts_delta, sent_at, transport, smtp_message_id, error,
                            next_attempt_at, smtp_code, smtp_reply, settled)
                    ON m.id = o.id
                 WHERE m.status = 'sending' AND m.attempts = o.attempt
                 ORDER BY m.id
                   FOR UPDATE OF m)
            UPDATE messages AS m
               SET status = v.status,
                   attempts = m.attempts + v.attempts_delta,
                   sent_at = v.sent_at,
                   transport = COALESCE(v.transport, m.transport),
                   smtp_message_id = COALESCE(v.smtp_message_id, m.smtp_message_id),
                   smtp_code = COALESCE(v.smtp_code, m.smtp_code),
                   smtp_reply = COALESCE(v.smtp_reply, m.smtp_reply),
                   settled_recipients = CASE WHEN v.settled IS NULL THEN m.settled_recipients
                                             ELSE m.settled_recipients || CAST(v.settled AS text[]) END,
                   last_error = v.error,
                   next_attempt_at = COALESCE(v.next_attempt_at, m.next_attempt_at),
                   locked_until = NULL,
                   updated_at = now()
              FROM v
             WHERE m.id = v.id AND m.status = 'sending' AND m.attempts = v.attempt
            RETURNING m.id, m.api_key_id
            """;
    /** The leases, fenced by attempt; the rows locked in the order of their ids (see {@link #RECORD}). */
    private static final String RENEW = """
            WITH c AS (
                SELECT m.id
                  FROM messages AS m
                  JOIN unnest(CAST(? AS uuid[]), CAST(? AS int[])) AS c(id, attempt) ON m.id = c.id
                 WHERE m.status = 'sending' AND m.attempts = c.attempt
                 ORDER BY m.id
                   FOR UPDATE OF m)
            UPDATE messages AS m
               SET locked_until = now() + make_interval(secs => ?),
                   next_attempt_at = now() + make_interval(secs => ?)
              FROM c
             WHERE m.id = c.id
            RETURNING m.id, m.attempts
            """;
    private static final String DEPTH = "SELECT count(*) AS n FROM messages WHERE status IN ('queued', 'sending')";
    /** The first entry of the due-work index: one index read however long the queue. */
    private static final String OLDEST_DUE_AGE = """
            SELECT CAST(COALESCE(floor(EXTRACT(EPOCH FROM now() - min(next_attempt_at))), 0) AS bigint) AS n
              FROM messages
             WHERE status IN ('queued', 'sending') AND next_attempt_at <= now()
            """;

    private final Database database;
    private final Timeline timeline;
    private final Suppressions suppressions;
    private final boolean suppressHardBounces;

    /** {@code suppressHardBounces}: SUPPRESS_HARD_BOUNCES, whether a hard bounce adds the address to the key's list. */
    public DeliveryQueue(Database database, Timeline timeline, Suppressions suppressions, boolean suppressHardBounces) {
        this.database = database;
        this.timeline = timeline;
        this.suppressions = suppressions;
        this.suppressHardBounces = suppressHardBounces;
    }

    /** Claims up to {@code batch} due messages for {@code lease}. */
    public List<OutboundMessage> claim(int batch, Duration lease) {
        return database.run(() -> database.client().execute()
                .createQuery(CLAIM)
                .addParam(seconds(lease))
                .addParam(seconds(lease))
                .addParam(batch)
                .execute()
                .map(DeliveryQueue::outbound)
                .toList());
    }

    /**
     * Extends the leases of these claimed messages to {@code lease} from now, in one statement.
     * Returns those renewed; a message left out is no longer this claim's (its lease ran out and
     * another worker took it, or its outcome is recorded).
     */
    public List<OutboundMessage> renew(List<OutboundMessage> claimed, Duration lease) {
        if (claimed.isEmpty()) {
            return List.of();
        }
        String[] ids = new String[claimed.size()];
        Integer[] attempts = new Integer[claimed.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = claimed.get(i).id().toString();
            attempts[i] = claimed.get(i).attempt();
        }
        Map<UUID, Integer> renewed = database.run(() -> database.client().execute()
                .createQuery(RENEW)
                .addParam(ids)
                .addParam(attempts)
                .addParam(seconds(lease))
                .addParam(seconds(lease))
                .execute()
                .collect(Collectors.toMap(row -> Rows.uuid(row, "id"), row -> Rows.integer(row, "attempts"))));
        return claimed.stream().filter(message -> renewed.get(message.id()) instanceof Integer attempt
                                                  && attempt == message.attempt()).toList();
    }

    /**
     * Records outcomes in one transaction: the status changes in one statement, then the events
     * each recorded one means (SPEC §10), their webhook deliveries, and the suppressions of hard
     * bounces. Returns how many were recorded: an outcome whose attempt lost its lease to another
     * worker in the meantime is dropped, with its events.
     */
    public long record(List<DeliveryOutcome> outcomes) {
        if (outcomes.isEmpty()) {
            return 0;
        }
        if (outcomes.stream().allMatch(outcome -> outcome instanceof DeliveryOutcome.Released)) {
            return database.run(() -> database.client().execute().createQuery(RECORD)
                    .params(parameters(outcomes))
                    .execute()
                    .count());
        }
        return database.inTransaction(tx -> {
            Map<UUID, UUID> recorded = tx.createNamedQuery("record-delivery-outcomes", RECORD)
                    .params(parameters(outcomes))
                    .execute()
                    .collect(Collectors.toMap(row -> Rows.uuid(row, "id"), row -> Rows.uuid(row, "api_key_id")));
            // one look for the endpoints of the batch's keys: a key without any announces nothing
            Set<UUID> withEndpoints = timeline.keysWithEndpoints(tx, new HashSet<>(recorded.values()));
            for (DeliveryOutcome outcome : outcomes) {
                UUID keyId = recorded.get(outcome.id());
                if (keyId != null) {
                    events(tx, keyId, withEndpoints.contains(keyId), outcome);
                }
            }
            return (long) recorded.size();
        });
    }

    /**
     * The timeline events of one recorded outcome, in its transaction; {@code webhooks}: whether
     * the key has an endpoint, without which an event read from the row ({@code sent}) writes nothing.
     */
    private void events(DbExecute tx, UUID keyId, boolean webhooks, DeliveryOutcome outcome) {
        UUID id = outcome.id();
        switch (outcome) {
            case DeliveryOutcome.Sent sent -> {
                // the last attempt's refusals are final, a 4xx among them too; at the time of the sent
                // (read from the row) so that they come before it
                bounces(tx, Optional.of(sent.at()), keyId, id, sent.refusals(), true);
                if (webhooks) {
                    JsonArrayBuilder recipients = JSON.createArrayBuilder(sent.recipients());
                    timeline.announce(tx, id, keyId, TimelineType.SENT, sent.reply().map(RelayReply::code).orElse(null),
                                      sent.reply().map(RelayReply::text).orElse(null),
                                      JSON.createObjectBuilder().add("recipients", recipients).build());
                }
            }
            case DeliveryOutcome.Retry retry -> {
                bounces(tx, Optional.empty(), keyId, id, retry.refusals(), false);
                JsonObject detail = JSON.createObjectBuilder()
                        .add("next_attempt_at", retry.nextAttemptAt().toString())
                        .add("attempt", retry.attempt())
                        .add("error", retry.error())
                        .build();
                List<Refusal> deferred = retry.refusals().stream().filter(refusal -> !refusal.permanent()).toList();
                if (deferred.isEmpty()) {
                    timeline.record(tx, id, keyId, TimelineType.DEFERRED, null,
                                    retry.reply().map(RelayReply::code).orElse(null),
                                    retry.reply().map(RelayReply::text).orElse(null), detail);
                }
                for (Refusal refusal : deferred) {
                    timeline.record(tx, id, keyId, TimelineType.DEFERRED, refusal.recipient(), refusal.reply().code(),
                                    refusal.reply().text(), detail);
                }
            }
            case DeliveryOutcome.Failed failed -> {
                bounces(tx, Optional.empty(), keyId, id, failed.refusals(), false);
                Optional<RelayReply> reply = lastReply(failed.reply(), failed.refusals());
                timeline.record(tx, id, keyId, TimelineType.FAILED, null, reply.map(RelayReply::code).orElse(null),
                                reply.map(RelayReply::text).orElse(null),
                                JSON.createObjectBuilder().add("attempt", failed.attempt())
                                        .add("error", failed.error()).build());
            }
            case DeliveryOutcome.Released released -> {
            }
        }
    }

    /**
     * A {@code bounced} event for each permanent refusal (each refusal when {@code all}), at
     * {@code at} or now, and a suppression for each hard one.
     */
    private void bounces(DbExecute tx, Optional<Instant> at, UUID keyId, UUID messageId, List<Refusal> refusals,
                         boolean all) {
        for (Refusal refusal : refusals) {
            if (all || refusal.permanent()) {
                timeline.record(tx, at.orElseGet(timeline::now), messageId, keyId, TimelineType.BOUNCED, refusal.recipient(), refusal.reply().code(),
                                refusal.reply().text(), null);
                if (suppressHardBounces && Suppressions.isHardBounce(refusal.reply())) {
                    suppressions.addHardBounce(tx, keyId, refusal.recipient(), refusal.reply().text(), messageId);
                }
            }
        }
    }

    /** The parameters of {@link #RECORD}, in order: one array element per outcome in each. */
    private static List<Object> parameters(List<DeliveryOutcome> outcomes) {
        int n = outcomes.size();
        String[] ids = new String[n];
        Integer[] attempts = new Integer[n];
        String[] statuses = new String[n];
        Integer[] deltas = new Integer[n];
        String[] sentAt = new String[n];
        String[] transports = new String[n];
        String[] smtpIds = new String[n];
        String[] errors = new String[n];
        String[] next = new String[n];
        Integer[] codes = new Integer[n];
        String[] replies = new String[n];
        String[] settled = new String[n];
        for (int i = 0; i < n; i++) {
            DeliveryOutcome outcome = outcomes.get(i);
            ids[i] = outcome.id().toString();
            attempts[i] = outcome.attempt();
            deltas[i] = 0;
            Optional<RelayReply> reply = Optional.empty();
            switch (outcome) {
                case DeliveryOutcome.Sent sent -> {
                    statuses[i] = "sent";
                    sentAt[i] = sent.at().toString();
                    transports[i] = sent.transport();
                    smtpIds[i] = sent.messageIdHeader();
                    errors[i] = sent.note().orElse(null);
                    reply = sent.reply();
                }
                case DeliveryOutcome.Retry retry -> {
                    statuses[i] = "queued";
                    errors[i] = retry.error();
                    next[i] = retry.nextAttemptAt().toString();
                    reply = lastReply(retry.reply(), retry.refusals());
                    List<String> done = new ArrayList<>(retry.taken());
                    retry.refusals().stream().filter(Refusal::permanent).map(Refusal::recipient).forEach(done::add);
                    settled[i] = done.isEmpty() ? null : arrayLiteral(done);
                }
                case DeliveryOutcome.Failed failed -> {
                    statuses[i] = "failed";
                    errors[i] = failed.error();
                    reply = lastReply(failed.reply(), failed.refusals());
                }
                case DeliveryOutcome.Released released -> {
                    statuses[i] = "queued";
                    deltas[i] = -1;
                    errors[i] = released.lastError().orElse(null);
                    next[i] = released.nextAttemptAt().toString();
                }
            }
            codes[i] = reply.map(RelayReply::code).orElse(null);
            replies[i] = reply.map(RelayReply::text).orElse(null);
        }
        return List.of(ids, attempts, statuses, deltas, sentAt, transports, smtpIds, errors, next, codes, replies,
                       settled);
    }

    /** The relay's reply to the message, else its reply to the first refused recipient. */
    private static Optional<RelayReply> lastReply(Optional<RelayReply> reply, List<Refusal> refusals) {
        return reply.or(() -> refusals.stream().map(Refusal::reply).findFirst());
    }

    /** A {@code text[]} literal (each element quoted, so nothing in one can end it). */
    private static String arrayLiteral(List<String> values) {
        StringBuilder literal = new StringBuilder("{");
        for (String value : values) {
            if (literal.length() > 1) {
                literal.append(',');
            }
            literal.append('"').append(value.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        }
        return literal.append('}').toString();
    }

    /** Messages waiting or being sent, across all processes. */
    public long depth() {
        return number(DEPTH);
    }

    /**
     * Seconds the oldest due message (queued and due, or sending with its lease run out) has waited
     * since it became due, across all processes; 0 when none is due.
     */
    public long oldestDueAgeSeconds() {
        return number(OLDEST_DUE_AGE);
    }

    /** The one value ({@code n}) of a statement that reads one row. */
    private long number(String statement) {
        return database.run(() -> database.client().execute()
                .createGet(statement)
                .execute()
                .map(row -> Rows.longValue(row, "n"))
                .orElse(0L));
    }

    private static double seconds(Duration lease) {
        return (double) lease.toMillis() / 1000;
    }

    private static OutboundMessage outbound(DbRow row) {
        String senderName = Rows.string(row, "sender_name");
        EmailAddress sender = EmailAddress.parse(Rows.string(row, "sender"), false);
        return new OutboundMessage(Rows.uuid(row, "id"),
                                   Rows.uuid(row, "api_key_id"),
                                   Rows.integer(row, "attempts"),
                                   new EmailAddress.Mailbox(Optional.ofNullable(senderName), sender),
                                   Rows.optionalString(row, "reply_to").map(r -> EmailAddress.parseMailbox(r, false)),
                                   Rows.strings(row, "to_recipients"),
                                   Rows.strings(row, "cc_recipients"),
                                   Rows.strings(row, "bcc_recipients"),
                                   Rows.string(row, "subject"),
                                   Rows.optionalString(row, "text_body"),
                                   Rows.optionalString(row, "html_body"),
                                   Messages.stringMap(Rows.json(row, "headers")),
                                   Rows.instant(row, "created_at"),
                                   Rows.optionalString(row, "request_id"),
                                   Rows.optionalString(row, "last_error"),
                                   Rows.integer(row, "attachment_count"),
                                   Rows.strings(row, "settled_recipients"),
                                   "smtp".equals(Rows.string(row, "source")));
    }
}
