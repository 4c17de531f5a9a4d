package dev.mgw.core.messages;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

import dev.mgw.core.db.Database;
import dev.mgw.core.db.Rows;

import io.helidon.dbclient.DbRow;

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
                   locked_until = now() + make_interval(secs => :lease),
                   next_attempt_at = now() + make_interval(secs => :lease),
                   updated_at = now()
             WHERE m.id IN (SELECT id FROM messages
                             WHERE status IN ('queued', 'sending') AND next_attempt_at <= now()
                             ORDER BY next_attempt_at
                             LIMIT :batch
                             FOR UPDATE SKIP LOCKED)
            RETURNING m.id, m.api_key_id, m.attempts, m.sender, m.sender_name, m.reply_to, m.to_recipients,
                      m.cc_recipients, m.bcc_recipients, m.subject, m.text_body, m.html_body, m.headers,
                      m.created_at, m.request_id, m.last_error, m.attachment_count, m.source
            """;
    private static final String RECORD = """
            UPDATE messages AS m
               SET status = v.status,
                   attempts = m.attempts + v.attempts_delta,
                   sent_at = v.sent_at,
                   transport = COALESCE(v.transport, m.transport),
                   smtp_message_id = COALESCE(v.smtp_message_id, m.smtp_message_id),
                   last_error = v.error,
                   next_attempt_at = COALESCE(v.next_attempt_at, m.next_attempt_at),
                   locked_until = NULL,
                   updated_at = now()
              FROM unnest(CAST(:ids AS uuid[]), CAST(:attempts AS int[]), CAST(:statuses AS text[]),
                          CAST(:deltas AS int[]), CAST(:sent_at AS timestamptz[]), CAST(:transports AS text[]),
                          CAST(:smtp_ids AS text[]), CAST(:errors AS text[]), CAST(:next AS timestamptz[]))
                   AS v(id, attempt, status, attempts_delta, sent_at, transport, smtp_message_id, error, next_attempt_at)
             WHERE m.id = v.id AND m.status = 'sending' AND m.attempts = v.attempt
            """;
    private static final String RENEW = """
            UPDATE messages AS m
               SET locked_until = now() + make_interval(secs => :lease),
                   next_attempt_at = now() + make_interval(secs => :lease)
              FROM unnest(CAST(:ids AS uuid[]), CAST(:attempts AS int[])) AS c(id, attempt)
             WHERE m.id = c.id AND m.status = 'sending' AND m.attempts = c.attempt
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

    public DeliveryQueue(Database database) {
        this.database = database;
    }

    /** Claims up to {@code batch} due messages for {@code lease}. */
    public List<OutboundMessage> claim(int batch, Duration lease) {
        return database.run(() -> database.client().execute()
                .createQuery(CLAIM)
                .addParam("lease", seconds(lease))
                .addParam("batch", batch)
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
                .addParam("lease", seconds(lease))
                .addParam("ids", ids)
                .addParam("attempts", attempts)
                .execute()
                .collect(Collectors.toMap(row -> Rows.uuid(row, "id"), row -> Rows.integer(row, "attempts"))));
        return claimed.stream().filter(message -> renewed.get(message.id()) instanceof Integer attempt
                                                  && attempt == message.attempt()).toList();
    }

    /**
     * Records outcomes in one statement (one commit). Returns how many were recorded: an outcome
     * whose attempt lost its lease to another worker in the meantime is dropped.
     */
    public long record(List<DeliveryOutcome> outcomes) {
        if (outcomes.isEmpty()) {
            return 0;
        }
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
        for (int i = 0; i < n; i++) {
            DeliveryOutcome outcome = outcomes.get(i);
            ids[i] = outcome.id().toString();
            attempts[i] = outcome.attempt();
            deltas[i] = 0;
            switch (outcome) {
                case DeliveryOutcome.Sent sent -> {
                    statuses[i] = "sent";
                    sentAt[i] = sent.at().toString();
                    transports[i] = sent.transport();
                    smtpIds[i] = sent.messageIdHeader();
                    errors[i] = sent.note().orElse(null);
                }
                case DeliveryOutcome.Retry retry -> {
                    statuses[i] = "queued";
                    errors[i] = retry.error();
                    next[i] = retry.nextAttemptAt().toString();
                }
                case DeliveryOutcome.Failed failed -> {
                    statuses[i] = "failed";
                    errors[i] = failed.error();
                }
                case DeliveryOutcome.Released released -> {
                    statuses[i] = "queued";
                    deltas[i] = -1;
                    errors[i] = released.lastError().orElse(null);
                    next[i] = released.nextAttemptAt().toString();
                }
            }
        }
        return database.run(() -> database.client().execute()
                .createUpdate(RECORD)
                .addParam("ids", ids)
                .addParam("attempts", attempts)
                .addParam("statuses", statuses)
                .addParam("deltas", deltas)
                .addParam("sent_at", sentAt)
                .addParam("transports", transports)
                .addParam("smtp_ids", smtpIds)
                .addParam("errors", errors)
                .addParam("next", next)
                .execute());
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
                                   "smtp".equals(Rows.string(row, "source")));
    }
}
