package dev.mgw.core.messages;

import java.io.StringWriter;
import java.time.Clock;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;

import dev.mgw.core.db.Database;
import dev.mgw.core.db.Rows;
import dev.mgw.core.quota.Charge;
import dev.mgw.core.quota.Quota;

import io.helidon.dbclient.DbRow;
import io.helidon.dbclient.DbStatementGet;
import io.helidon.dbclient.DbTransaction;

import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonWriter;

import static dev.mgw.core.JsonP.JSON;

/**
 * The durable accept: in one transaction, insert the message, then charge the quota with one
 * conditional upsert as the last statement before COMMIT (so the key's usage row is locked
 * only for the commit itself). Nothing charged means nothing stored: the transaction rolls back.
 * Without an Idempotency-Key the insert and the upsert travel as one statement (two CTEs, the
 * upsert reading the insert's row); with one, as two, so that a key already used can be looked
 * at between them. A result other than {@link Acceptance.Accepted} committed nothing.
 */
public final class Outbox {
    /** Positional parameters, in column order (send_at twice): this runs on every send. */
    private static final String INSERT_MESSAGE = """
            INSERT INTO messages (id, api_key_id, sender, sender_name, reply_to, to_recipients, cc_recipients,
                                  bcc_recipients, subject, text_body, html_body, headers, tags, send_at,
                                  next_attempt_at, request_id, idempotency_key, request_hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS jsonb), CAST(? AS jsonb), ?, COALESCE(?, now()), ?, ?, ?)
            ON CONFLICT (api_key_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
            RETURNING id
            """;
    /**
     * The insert and the charge as one statement: the charge CTE reads the insert's row, so it
     * runs after it and charges nothing if nothing was inserted. The transaction rolls back when
     * the charge returned nothing. Parameters: the insert's, then the upsert's.
     */
    private static final String INSERT_AND_CHARGE = "WITH msg AS (" + INSERT_MESSAGE + "), charged AS ("
                                                    + Quota.UPSERT_AFTER_INSERT + ") "
                                                    + "SELECT msg.id, charged.used, charged.daily_limit "
                                                    + "FROM msg LEFT JOIN charged ON true";
    private static final String FIND_IDEMPOTENT = """
            SELECT id, request_hash, accept_remaining, created_at > now() - interval '24 hours' AS fresh
              FROM messages
             WHERE api_key_id = :key AND idempotency_key = :idempotency_key
            """;
    private static final String EXPIRE_IDEMPOTENCY_KEY = "UPDATE messages SET idempotency_key = NULL WHERE id = ?";

    private final Database database;
    private final Quota quota;
    private final Clock clock;

    public Outbox(Database database, Quota quota, Clock clock) {
        this.database = database;
        this.quota = quota;
        this.clock = clock;
    }

    public Acceptance accept(Submission submission) {
        return database.run(() -> acceptNow(submission));
    }

    private Acceptance acceptNow(Submission submission) {
        LocalDate day = Charge.today(clock);
        UUID id = MessageIds.next(clock);
        DbTransaction tx = database.client().transaction();
        try {
            if (submission.idempotency().isEmpty()) {
                return insertAndCharge(tx, id, submission, day);
            }
            Optional<UUID> inserted = insert(tx, id, submission);
            if (inserted.isEmpty()) {
                Optional<Acceptance> earlier = earlierAcceptance(tx, submission);
                if (earlier.isPresent()) {
                    tx.rollback();
                    return earlier.get();
                }
                // the earlier use of this Idempotency-Key is older than 24 h and was just released
                inserted = insert(tx, id, submission);
            }
            int recipients = submission.message().recipientCount();
            Optional<Charge> charge = quota.chargeAndRecord(tx, submission.keyId(), submission.keyHash(), day,
                                                            recipients, id);
            if (charge.isEmpty()) {
                tx.rollback();
                return refused(submission, day, recipients);
            }
            tx.commit();
            return new Acceptance.Accepted(id, charge.get());
        } catch (RuntimeException e) {
            rollbackQuietly(tx);
            throw e;
        }
    }

    /** The common case, without an Idempotency-Key: one statement and the commit. */
    private Acceptance insertAndCharge(DbTransaction tx, UUID id, Submission submission, LocalDate day) {
        int recipients = submission.message().recipientCount();
        Optional<Charge> charge = Quota.chargeParameters(insertParameters(tx.createNamedGet("insert-and-charge",
                                                                                            INSERT_AND_CHARGE),
                                                                          id, submission),
                                                         submission.keyId(), submission.keyHash(), day, recipients)
                .execute()
                .flatMap(Quota::charged);
        if (charge.isEmpty()) {
            tx.rollback();
            return refused(submission, day, recipients);
        }
        tx.commit();
        return new Acceptance.Accepted(id, charge.get());
    }

    /** Why nothing was charged: the limit, or the key is no longer what the caller proved. */
    private Acceptance refused(Submission submission, LocalDate day, int recipients) {
        return quota.standing(submission.keyId(), submission.keyHash(), day)
                .<Acceptance>map(standing -> new Acceptance.OverQuota(standing.charge(), recipients))
                .orElseGet(Acceptance.KeyInvalid::new);
    }

    private Optional<UUID> insert(DbTransaction tx, UUID id, Submission submission) {
        return insertParameters(tx.createNamedGet("insert-message", INSERT_MESSAGE), id, submission)
                .execute()
                .map(row -> Rows.uuid(row, "id"));
    }

    /** Adds the parameters of the message insert, in column order. */
    private static DbStatementGet insertParameters(DbStatementGet statement, UUID id, Submission submission) {
        NewMessage message = submission.message();
        Object sendAt = message.sendAt().map(Rows::param).orElse(null);
        return statement
                .addParam(id)
                .addParam(submission.keyId())
                .addParam(message.from().address().address())
                .addParam(message.from().name().orElse(null))
                .addParam(message.replyTo().map(Outbox::mailbox).orElse(null))
                .addParam(addresses(message.to()))
                .addParam(addresses(message.cc()))
                .addParam(addresses(message.bcc()))
                .addParam(message.subject())
                .addParam(message.textBody().orElse(null))
                .addParam(message.htmlBody().orElse(null))
                .addParam(json(message.headers()))
                .addParam(json(message.tags()))
                .addParam(sendAt)
                .addParam(sendAt)
                .addParam(submission.requestId())
                .addParam(submission.idempotency().map(Submission.Idempotency::key).orElse(null))
                .addParam(submission.idempotency().map(Submission.Idempotency::requestHash).orElse(null));
    }

    /** The acceptance an Idempotency-Key already has, or empty once a stale (24 h) use was released. */
    private Optional<Acceptance> earlierAcceptance(DbTransaction tx, Submission submission) {
        Submission.Idempotency idempotency = submission.idempotency().orElseThrow();
        DbRow earlier = tx.createGet(FIND_IDEMPOTENT)
                .addParam("key", submission.keyId())
                .addParam("idempotency_key", idempotency.key())
                .execute()
                .orElseThrow(() -> new IllegalStateException("idempotency conflict without a row"));
        UUID earlierId = Rows.uuid(earlier, "id");
        if (!Rows.bool(earlier, "fresh")) {
            tx.createUpdate(EXPIRE_IDEMPOTENCY_KEY).addParam(earlierId).execute();
            return Optional.empty();
        }
        if (!idempotency.requestHash().equals(Rows.string(earlier, "request_hash"))) {
            return Optional.of(new Acceptance.IdempotencyMismatch(earlierId));
        }
        OptionalInt remaining = Rows.optionalInteger(earlier, "accept_remaining")
                .map(OptionalInt::of)
                .orElseGet(OptionalInt::empty);
        return Optional.of(new Acceptance.Replayed(earlierId, remaining));
    }

    static String mailbox(EmailAddress.Mailbox mailbox) {
        return mailbox.name().map(n -> n + " <" + mailbox.address().address() + ">").orElse(mailbox.address().address());
    }

    private static String[] addresses(List<EmailAddress> addresses) {
        String[] array = new String[addresses.size()];
        for (int i = 0; i < array.length; i++) {
            array[i] = addresses.get(i).address();
        }
        return array;
    }

    private static String json(Map<String, String> map) {
        if (map.isEmpty()) {
            return "{}";
        }
        JsonObjectBuilder builder = JSON.createObjectBuilder();
        map.forEach(builder::add);
        StringWriter out = new StringWriter();
        try (JsonWriter writer = JSON.createWriter(out)) {
            writer.write(builder.build());
        }
        return out.toString();
    }

    private static void rollbackQuietly(DbTransaction tx) {
        try {
            tx.rollback();
        } catch (RuntimeException ignored) {
            // already committed, rolled back, or the connection is gone: nothing to undo here
        }
    }
}
