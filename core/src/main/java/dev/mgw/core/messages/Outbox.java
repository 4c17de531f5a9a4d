package dev.mgw.core.messages;

import java.io.StringWriter;
import java.time.Clock;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;

import dev.mgw.core.db.Database;
import dev.mgw.core.db.Rows;
import dev.mgw.core.events.Timeline;
import dev.mgw.core.events.TimelineType;
import dev.mgw.core.quota.Charge;
import dev.mgw.core.quota.Quota;
import dev.mgw.core.submission.SubmittedMimes;
import dev.mgw.core.suppressions.Suppressions;

import io.helidon.dbclient.DbExecute;
import io.helidon.dbclient.DbRow;
import io.helidon.dbclient.DbStatementGet;
import io.helidon.dbclient.DbTransaction;

import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonWriter;

import static dev.mgw.core.JsonP.JSON;

/**
 * The durable accept: the message is stored exactly when the quota's conditional upsert charged
 * it, in one transaction. Without an Idempotency-Key or attachments (the common case) that is
 * one statement: the charge, and the insert reading the charge's row (two CTEs, and a third for
 * the MIME of a message submitted over SMTP), so that nothing is stored when nothing was charged.
 * Accepts of that kind that wait for the database at the same moment commit together
 * ({@link AcceptGroups}), each statement still charging its own message; an accept alone commits
 * alone, so a key's usage row is locked across round trips only by a group, never while the
 * gateway does anything else. With a key or attachments, the insert comes first, so that a key
 * already used can be looked at, then the attachments ({@link Attachments}) or the MIME an SMTP
 * client submitted ({@link SubmittedMimes}), and the charge last before COMMIT; nothing charged
 * rolls back. A result other than {@link Acceptance.Accepted} stored and charged nothing.
 */
public final class Outbox {
    private static final String MESSAGE_COLUMNS = """
            INSERT INTO messages (id, api_key_id, sender, sender_name, reply_to, to_recipients, cc_recipients,
                                  bcc_recipients, subject, text_body, html_body, headers, tags, send_at,
                                  next_attempt_at, request_id, idempotency_key, request_hash, attachment_count, source)
            """;
    /** Positional parameters, in column order (send_at twice): this runs on every send. */
    private static final String MESSAGE_VALUES =
            "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS jsonb), CAST(? AS jsonb), ?, COALESCE(?, now()), ?, ?, ?, ?, ?";
    private static final String INSERT_MESSAGE = MESSAGE_COLUMNS + "VALUES (" + MESSAGE_VALUES + """
            )
            ON CONFLICT (api_key_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
            RETURNING id
            """;
    /**
     * The charge and the insert as one statement, run on its own (autocommit): the insert selects
     * from the charge's row, so a refused charge stores nothing and no row comes back. A message
     * with a suppressed recipient is not charged either (the transactional path then drops it).
     * Parameters: the upsert's, the recipients to look up, then the insert's.
     */
    private static final String CHARGE_AND_INSERT = "WITH charged AS (" + Quota.upsertWhen(
                                                            Suppressions.noneSuppressed("k.id")) + "), msg AS ("
                                                    + MESSAGE_COLUMNS + "SELECT " + MESSAGE_VALUES
                                                    + " FROM charged RETURNING id) "
                                                    + "SELECT msg.id, charged.used, charged.daily_limit "
                                                    + "FROM charged LEFT JOIN msg ON true";
    /**
     * As {@link #CHARGE_AND_INSERT}, also storing the MIME an SMTP client submitted. Parameters:
     * those, then the MIME's.
     */
    private static final String CHARGE_AND_INSERT_WITH_MIME = "WITH charged AS (" + Quota.upsertWhen(
                                                                      Suppressions.noneSuppressed("k.id")) + "), msg AS ("
                                                              + MESSAGE_COLUMNS + "SELECT " + MESSAGE_VALUES
                                                              + " FROM charged RETURNING id), mime AS ("
                                                              + SubmittedMimes.insertAfter("msg") + ") "
                                                              + "SELECT msg.id, charged.used, charged.daily_limit "
                                                              + "FROM charged LEFT JOIN msg ON true";
    private static final String FIND_IDEMPOTENT = """
            SELECT id, request_hash, accept_remaining, created_at > now() - interval '24 hours' AS fresh
              FROM messages
             WHERE api_key_id = :key AND idempotency_key = :idempotency_key
            """;
    /**
     * Frees a key whose use is older than 24 h. A concurrent request that released it first
     * leaves nothing to match once its row lock is gone, so this one does not lock the row and
     * hold up the next request in turn.
     */
    private static final String RELEASE_IDEMPOTENCY_KEY =
            "UPDATE messages SET idempotency_key = NULL WHERE id = ? AND idempotency_key IS NOT NULL";
    /**
     * Insert, look, release: the second round finds the message of whichever concurrent request
     * took a released key first (its insert waits for that request's commit); a third is spare.
     */
    private static final int IDEMPOTENT_ATTEMPTS = 3;

    private final Database database;
    private final Quota quota;
    private final Attachments attachments;
    private final Suppressions suppressions;
    private final Timeline timeline;
    private final Clock clock;
    private final AcceptGroups groups;

    public Outbox(Database database, Quota quota, Attachments attachments, Suppressions suppressions, Timeline timeline,
                  Clock clock) {
        this.database = database;
        this.quota = quota;
        this.attachments = attachments;
        this.suppressions = suppressions;
        this.timeline = timeline;
        this.clock = clock;
        this.groups = new AcceptGroups(database);
    }

    public Acceptance accept(Submission submission) {
        LocalDate day = Charge.today(clock);
        UUID id = MessageIds.next(clock);
        if (submission.idempotency().isEmpty() && submission.message().attachments().isEmpty()) {
            Optional<Acceptance> accepted = chargeAndInsert(id, submission, day);
            if (accepted.isPresent()) {
                return accepted.get();
            }
            // a recipient is suppressed: the transaction below drops it
        }
        return database.run(() -> acceptInTransaction(id, submission, day));
    }

    /**
     * With an Idempotency-Key, attachments or a suppressed recipient: insert, then the rest, and
     * the charge last before COMMIT.
     */
    private Acceptance acceptInTransaction(UUID id, Submission submission, LocalDate day) {
        DbTransaction tx = database.client().transaction();
        try {
            Set<String> suppressed = suppressions.suppressed(tx, submission.keyId(), lowerCased(submission.message()));
            List<String> dropped = dropped(submission.message(), suppressed);
            Submission kept = submission;
            if (!dropped.isEmpty()) {
                NewMessage rest = submission.message().without(suppressed);
                if (rest.recipientCount() == 0) {
                    tx.rollback();
                    return new Acceptance.AllSuppressed(dropped);
                }
                kept = new Submission(submission.keyId(), submission.keyHash(), rest, submission.requestId(),
                                      submission.idempotency(), submission.mime());
            }
            for (int attempt = 0; attempt < IDEMPOTENT_ATTEMPTS; attempt++) {
                if (insert(tx, id, kept).isPresent()) {
                    for (String address : dropped) {
                        timeline.record(tx, id, submission.keyId(), TimelineType.SUPPRESSED, address, null, null, null);
                    }
                    return charge(tx, id, kept, day, dropped);
                }
                Optional<Acceptance> earlier = earlierAcceptance(tx, submission);
                if (earlier.isPresent()) {
                    tx.rollback();
                    return earlier.get();
                }
                // the earlier use was older than 24 h and is released: take the key, unless a concurrent request just did
            }
            tx.rollback();
            return new Acceptance.IdempotencyInFlight();
        } catch (RuntimeException e) {
            rollbackQuietly(tx);
            throw e;
        }
    }

    /** The recipients' addresses, lower-cased as the suppression lists keep them. */
    static List<String> lowerCased(NewMessage message) {
        return message.recipients().stream().map(address -> Suppressions.normalize(address.address())).toList();
    }

    /** The recipients (as given) whose lower-cased address is suppressed. */
    static List<String> dropped(NewMessage message, Set<String> suppressed) {
        if (suppressed.isEmpty()) {
            return List.of();
        }
        return message.recipients().stream().map(EmailAddress::address)
                .filter(address -> suppressed.contains(Suppressions.normalize(address)))
                .toList();
    }

    /**
     * Stores the attachments (or the submitted MIME) of the message just inserted in {@code tx}
     * and charges it, last before COMMIT; nothing charged rolls back.
     */
    private Acceptance charge(DbTransaction tx, UUID id, Submission submission, LocalDate day, List<String> dropped) {
        attachments.store(tx, Map.of(id, submission.message().attachments()));
        submission.mime().ifPresent(mime -> SubmittedMimes.store(tx, id, mime));
        int recipients = submission.message().recipientCount();
        Optional<Charge> charge = quota.chargeAndRecord(tx, submission.keyId(), submission.keyHash(), day, recipients, id);
        if (charge.isEmpty()) {
            tx.rollback();
            return refused(submission, day, recipients);
        }
        tx.commit();
        return new Acceptance.Accepted(id, charge.get(), dropped);
    }

    /**
     * The common case, without an Idempotency-Key or attachments: one statement, committed with
     * those of the accepts waiting at the same moment ({@link AcceptGroups}), or on its own when
     * its group failed (with the submitted MIME, if any, in a third CTE). Empty when nothing was
     * charged because a recipient is suppressed.
     */
    private Optional<Acceptance> chargeAndInsert(UUID id, Submission submission, LocalDate day) {
        int recipients = submission.message().recipientCount();
        String[] lookup = lowerCased(submission.message()).toArray(String[]::new);
        Optional<Charge> charge;
        try {
            charge = groups.accept(new AcceptGroups.Pending(submission.keyId(),
                                                            tx -> chargeAndInsert(tx, id, submission, day, lookup)));
        } catch (AcceptGroups.RunAlone e) {
            charge = database.run(() -> chargeAndInsert(database.client().execute(), id, submission, day, lookup));
        }
        if (charge.isPresent()) {
            return Optional.of(new Acceptance.Accepted(id, charge.get(), List.of()));
        }
        if (!database.run(() -> suppressions.suppressed(database.client().execute(), submission.keyId(),
                                                        List.of(lookup))).isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(refused(submission, day, recipients));
    }

    /** The charge and the insert, one statement: the charge, empty when nothing was charged. */
    private static Optional<Charge> chargeAndInsert(DbExecute execute, UUID id, Submission submission, LocalDate day,
                                                    String[] lookup) {
        DbStatementGet statement = submission.mime().isEmpty()
                ? execute.createNamedGet("charge-and-insert", CHARGE_AND_INSERT)
                : execute.createNamedGet("charge-and-insert-with-mime", CHARGE_AND_INSERT_WITH_MIME);
        statement = insertParameters(Quota.chargeParameters(statement, submission.keyId(), submission.keyHash(), day,
                                                            submission.message().recipientCount()).addParam(lookup),
                                     id, submission);
        Optional<DbRow> row = submission.mime().isEmpty()
                ? statement.execute()
                : SubmittedMimes.addParameters(statement, submission.mime().get()).execute();
        if (row.isEmpty()) {
            return Optional.empty();
        }
        if (Rows.optionalString(row.get(), "id").isEmpty()) {
            throw new IllegalStateException("charged without storing message " + id);
        }
        return Optional.of(Quota.charged(row.get()).orElseThrow());
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
                .addParam(submission.idempotency().map(Submission.Idempotency::requestHash).orElse(null))
                .addParam(message.attachments().size())
                .addParam(submission.mime().isPresent() ? "smtp" : "api");
    }

    /**
     * The acceptance an Idempotency-Key already has, or empty when it has none any more: its use
     * was older than 24 h (released here), or is gone.
     */
    private Optional<Acceptance> earlierAcceptance(DbTransaction tx, Submission submission) {
        Submission.Idempotency idempotency = submission.idempotency().orElseThrow();
        Optional<DbRow> found = tx.createGet(FIND_IDEMPOTENT)
                .addParam("key", submission.keyId())
                .addParam("idempotency_key", idempotency.key())
                .execute();
        if (found.isEmpty()) {
            return Optional.empty();
        }
        DbRow earlier = found.get();
        UUID earlierId = Rows.uuid(earlier, "id");
        if (!Rows.bool(earlier, "fresh")) {
            tx.createUpdate(RELEASE_IDEMPOTENCY_KEY).addParam(earlierId).execute();
            return Optional.empty();
        }
        if (!idempotency.requestHash().equals(Rows.string(earlier, "request_hash"))) {
            return Optional.of(new Acceptance.IdempotencyMismatch(earlierId));
        }
        OptionalInt remaining = Rows.optionalInteger(earlier, "accept_remaining")
                .map(OptionalInt::of)
                .orElseGet(OptionalInt::empty);
        return Optional.of(new Acceptance.Replayed(earlierId, remaining, timeline.suppressedRecipients(tx, earlierId)));
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

    static String json(Map<String, String> map) {
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

    static void rollbackQuietly(DbTransaction tx) {
        try {
            tx.rollback();
        } catch (RuntimeException ignored) {
            // already committed, rolled back, or the connection is gone: nothing to undo here
        }
    }
}
