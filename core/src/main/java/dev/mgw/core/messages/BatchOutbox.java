package dev.mgw.core.messages;

import java.io.StringReader;
import java.io.StringWriter;
import java.time.Clock;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
import dev.mgw.core.suppressions.Suppressions;

import io.helidon.dbclient.DbRow;
import io.helidon.dbclient.DbTransaction;

import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonWriter;

import static dev.mgw.core.JsonP.JSON;

/**
 * The accept of a batch: in one transaction, every message in one insert (its rows from arrays,
 * one element per message), their attachments, and one conditional upsert charging the
 * recipients of all of them, last before COMMIT; nothing charged rolls everything back. With an
 * Idempotency-Key, a row in {@code batch_requests} is inserted first: what the batch answered
 * (its items, and the quota left, recorded by the charge), so that a replay answers alike, and
 * so that a concurrent request with the same key waits on it and then replays it.
 */
public final class BatchOutbox {
    private static final String INSERT_MESSAGES = """
            INSERT INTO messages (id, api_key_id, sender, sender_name, reply_to, to_recipients, cc_recipients,
                                  bcc_recipients, subject, text_body, html_body, headers, tags, send_at,
                                  next_attempt_at, request_id, attachment_count)
            SELECT v.id, CAST(:key AS uuid), v.sender, v.sender_name, v.reply_to, CAST(v.to_list AS text[]),
                   CAST(v.cc_list AS text[]), CAST(v.bcc_list AS text[]), v.subject, v.text_body, v.html_body,
                   CAST(v.headers AS jsonb), CAST(v.tags AS jsonb), v.send_at, COALESCE(v.send_at, now()),
                   :request_id, v.attachment_count
              FROM unnest(CAST(:ids AS uuid[]), CAST(:senders AS text[]), CAST(:sender_names AS text[]),
                          CAST(:reply_tos AS text[]), CAST(:to_lists AS text[]), CAST(:cc_lists AS text[]),
                          CAST(:bcc_lists AS text[]), CAST(:subjects AS text[]), CAST(:text_bodies AS text[]),
                          CAST(:html_bodies AS text[]), CAST(:headers AS text[]), CAST(:tags AS text[]),
                          CAST(:send_ats AS timestamptz[]), CAST(:attachment_counts AS int[]))
                   AS v(id, sender, sender_name, reply_to, to_list, cc_list, bcc_list, subject, text_body, html_body,
                        headers, tags, send_at, attachment_count)
            """;
    private static final String INSERT_BATCH = """
            INSERT INTO batch_requests (api_key_id, idempotency_key, request_hash, items)
            VALUES (CAST(:key AS uuid), :idempotency_key, :request_hash, CAST(:items AS jsonb))
            ON CONFLICT (api_key_id, idempotency_key) DO NOTHING
            RETURNING created_at
            """;
    private static final String FIND_BATCH = """
            SELECT request_hash, items, accept_remaining, created_at > now() - interval '24 hours' AS fresh
              FROM batch_requests
             WHERE api_key_id = CAST(:key AS uuid) AND idempotency_key = :idempotency_key
            """;
    private static final String EXPIRE_BATCH = """
            DELETE FROM batch_requests WHERE api_key_id = CAST(:key AS uuid) AND idempotency_key = :idempotency_key
            """;
    /**
     * The charge, also recording on the batch's row what remained. Parameters: those of the
     * upsert, then the key id and the Idempotency-Key.
     */
    private static final String CHARGE_AND_RECORD = "WITH charged AS (" + Quota.UPSERT + """
            )
            UPDATE batch_requests SET accept_remaining = charged.daily_limit - charged.used
              FROM charged
             WHERE batch_requests.api_key_id = CAST(? AS uuid) AND batch_requests.idempotency_key = ?
            RETURNING charged.used, charged.daily_limit
            """;
    /** How often a stale Idempotency-Key may be released before giving up (another request keeps taking it). */
    private static final int IDEMPOTENCY_ATTEMPTS = 3;

    private final Database database;
    private final Quota quota;
    private final Attachments attachments;
    private final Suppressions suppressions;
    private final Timeline timeline;
    private final Clock clock;

    public BatchOutbox(Database database, Quota quota, Attachments attachments, Suppressions suppressions,
                       Timeline timeline, Clock clock) {
        this.database = database;
        this.quota = quota;
        this.attachments = attachments;
        this.suppressions = suppressions;
        this.timeline = timeline;
        this.clock = clock;
    }

    public BatchAcceptance accept(BatchSubmission batch) {
        return database.run(() -> acceptNow(batch));
    }

    private BatchAcceptance acceptNow(BatchSubmission batch) {
        LocalDate day = Charge.today(clock);
        DbTransaction tx = database.client().transaction();
        try {
            Set<String> suppressed = suppressions.suppressed(tx, batch.keyId(), batch.messages().stream()
                    .flatMap(message -> Outbox.lowerCased(message).stream()).distinct().toList());
            List<BatchAcceptance.Item> items = new ArrayList<>(batch.messages().size());
            Map<UUID, NewMessage> stored = new LinkedHashMap<>();
            Map<UUID, List<String>> dropped = new LinkedHashMap<>();
            for (NewMessage message : batch.messages()) {
                List<String> itemDropped = Outbox.dropped(message, suppressed);
                NewMessage kept = itemDropped.isEmpty() ? message : message.without(suppressed);
                if (kept.recipientCount() == 0) {
                    items.add(new BatchAcceptance.Item(Optional.empty(), itemDropped));
                    continue;
                }
                UUID id = MessageIds.next(clock);
                items.add(new BatchAcceptance.Item(Optional.of(id), itemDropped));
                stored.put(id, kept);
                dropped.put(id, itemDropped);
            }
            int recipients = stored.values().stream().mapToInt(NewMessage::recipientCount).sum();
            if (batch.idempotency().isPresent()) {
                Optional<BatchAcceptance> earlier = claimIdempotencyKey(tx, batch, items);
                if (earlier.isPresent()) {
                    tx.rollback();
                    return earlier.get();
                }
            }
            insertMessages(tx, batch, stored);
            Map<UUID, List<NewAttachment>> byMessage = new LinkedHashMap<>();
            stored.forEach((id, message) -> byMessage.put(id, message.attachments()));
            attachments.store(tx, byMessage);
            dropped.forEach((id, addresses) -> addresses.forEach(address -> timeline.record(
                    tx, id, batch.keyId(), TimelineType.SUPPRESSED, address, null, null, null)));
            Optional<Charge> charge = charge(tx, batch, day, recipients);
            if (charge.isEmpty()) {
                tx.rollback();
                return quota.standing(batch.keyId(), batch.keyHash(), day)
                        .<BatchAcceptance>map(standing -> new BatchAcceptance.OverQuota(standing.charge(), recipients))
                        .orElseGet(BatchAcceptance.KeyInvalid::new);
            }
            tx.commit();
            return new BatchAcceptance.Accepted(items, charge.get());
        } catch (RuntimeException e) {
            Outbox.rollbackQuietly(tx);
            throw e;
        }
    }

    /**
     * Takes the batch's Idempotency-Key, or returns what an earlier use of it answers. An earlier
     * use still in flight holds the key's row: this waits for its outcome.
     */
    private Optional<BatchAcceptance> claimIdempotencyKey(DbTransaction tx, BatchSubmission batch,
                                                          List<BatchAcceptance.Item> items) {
        Submission.Idempotency idempotency = batch.idempotency().orElseThrow();
        for (int attempt = 0; attempt < IDEMPOTENCY_ATTEMPTS; attempt++) {
            boolean claimed = tx.createNamedGet("insert-batch-request", INSERT_BATCH)
                    .addParam("key", batch.keyId())
                    .addParam("idempotency_key", idempotency.key())
                    .addParam("request_hash", idempotency.requestHash())
                    .addParam("items", itemsJson(items))
                    .execute()
                    .isPresent();
            if (claimed) {
                return Optional.empty();
            }
            Optional<DbRow> earlier = tx.createGet(FIND_BATCH)
                    .addParam("key", batch.keyId())
                    .addParam("idempotency_key", idempotency.key())
                    .execute();
            if (earlier.isPresent() && Rows.bool(earlier.get(), "fresh")) {
                DbRow row = earlier.get();
                if (!idempotency.requestHash().equals(Rows.string(row, "request_hash"))) {
                    return Optional.of(new BatchAcceptance.IdempotencyMismatch());
                }
                OptionalInt remaining = Rows.optionalInteger(row, "accept_remaining")
                        .map(OptionalInt::of)
                        .orElseGet(OptionalInt::empty);
                return Optional.of(new BatchAcceptance.Replayed(items(Rows.string(row, "items")), remaining));
            }
            if (earlier.isPresent()) {
                // used more than 24 h ago: the key is free again
                tx.createDelete(EXPIRE_BATCH)
                        .addParam("key", batch.keyId())
                        .addParam("idempotency_key", idempotency.key())
                        .execute();
            }
        }
        throw new IllegalStateException("the Idempotency-Key of this batch could not be taken");
    }

    private void insertMessages(DbTransaction tx, BatchSubmission batch, Map<UUID, NewMessage> messages) {
        int n = messages.size();
        String[] ids = new String[n];
        String[] senders = new String[n];
        String[] senderNames = new String[n];
        String[] replyTos = new String[n];
        String[] toLists = new String[n];
        String[] ccLists = new String[n];
        String[] bccLists = new String[n];
        String[] subjects = new String[n];
        String[] textBodies = new String[n];
        String[] htmlBodies = new String[n];
        String[] headers = new String[n];
        String[] tags = new String[n];
        String[] sendAts = new String[n];
        Integer[] attachmentCounts = new Integer[n];
        int i = 0;
        for (Map.Entry<UUID, NewMessage> entry : messages.entrySet()) {
            NewMessage message = entry.getValue();
            ids[i] = entry.getKey().toString();
            senders[i] = message.from().address().address();
            senderNames[i] = message.from().name().orElse(null);
            replyTos[i] = message.replyTo().map(Outbox::mailbox).orElse(null);
            toLists[i] = arrayLiteral(message.to());
            ccLists[i] = arrayLiteral(message.cc());
            bccLists[i] = arrayLiteral(message.bcc());
            subjects[i] = message.subject();
            textBodies[i] = message.textBody().orElse(null);
            htmlBodies[i] = message.htmlBody().orElse(null);
            headers[i] = Outbox.json(message.headers());
            tags[i] = Outbox.json(message.tags());
            sendAts[i] = message.sendAt().map(Object::toString).orElse(null);
            attachmentCounts[i] = message.attachments().size();
            i++;
        }
        tx.createNamedInsert("insert-batch-messages", INSERT_MESSAGES)
                .addParam("key", batch.keyId())
                .addParam("request_id", batch.requestId())
                .addParam("ids", ids)
                .addParam("senders", senders)
                .addParam("sender_names", senderNames)
                .addParam("reply_tos", replyTos)
                .addParam("to_lists", toLists)
                .addParam("cc_lists", ccLists)
                .addParam("bcc_lists", bccLists)
                .addParam("subjects", subjects)
                .addParam("text_bodies", textBodies)
                .addParam("html_bodies", htmlBodies)
                .addParam("headers", headers)
                .addParam("tags", tags)
                .addParam("send_ats", sendAts)
                .addParam("attachment_counts", attachmentCounts)
                .execute();
    }

    /** The one charge of the batch; with an Idempotency-Key it also records what remained. */
    private Optional<Charge> charge(DbTransaction tx, BatchSubmission batch, LocalDate day, int recipients) {
        if (batch.idempotency().isEmpty()) {
            return Quota.chargeParameters(tx.createNamedGet("charge-quota", Quota.UPSERT), batch.keyId(),
                                          batch.keyHash(), day, recipients)
                    .execute()
                    .flatMap(Quota::charged);
        }
        return Quota.chargeParameters(tx.createNamedGet("charge-quota-and-record-batch", CHARGE_AND_RECORD),
                                      batch.keyId(), batch.keyHash(), day, recipients)
                .addParam(batch.keyId())
                .addParam(batch.idempotency().get().key())
                .execute()
                .flatMap(Quota::charged);
    }

    /** A {@code text[]} literal of the addresses (each quoted, so nothing in one can end it). */
    private static String arrayLiteral(List<EmailAddress> addresses) {
        StringBuilder literal = new StringBuilder("{");
        for (EmailAddress address : addresses) {
            if (literal.length() > 1) {
                literal.append(',');
            }
            literal.append('"').append(address.address().replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        }
        return literal.append('}').toString();
    }

    private static String itemsJson(List<BatchAcceptance.Item> items) {
        JsonArrayBuilder array = JSON.createArrayBuilder();
        for (BatchAcceptance.Item item : items) {
            JsonObjectBuilder entry = JSON.createObjectBuilder();
            item.id().ifPresentOrElse(id -> entry.add("id", id.toString()), () -> entry.addNull("id"));
            array.add(entry.add("suppressed", JSON.createArrayBuilder(item.suppressed())));
        }
        StringWriter out = new StringWriter();
        try (JsonWriter writer = JSON.createWriter(out)) {
            writer.write(array.build());
        }
        return out.toString();
    }

    private static List<BatchAcceptance.Item> items(String json) {
        try (JsonReader reader = JSON.createReader(new StringReader(json))) {
            return reader.readArray().getValuesAs(JsonObject.class).stream()
                    .map(item -> new BatchAcceptance.Item(
                            item.get("id") instanceof JsonString id ? Optional.of(UUID.fromString(id.getString()))
                                                                    : Optional.empty(),
                            item.getJsonArray("suppressed").getValuesAs(JsonString.class).stream()
                                    .map(JsonString::getString)
                                    .toList()))
                    .toList();
        }
    }
}
