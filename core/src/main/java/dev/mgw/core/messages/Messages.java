package dev.mgw.core.messages;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;

import dev.mgw.core.MgwException;
import dev.mgw.core.db.Database;
import dev.mgw.core.db.Rows;

import io.helidon.dbclient.DbRow;

import jakarta.json.JsonObject;
import jakarta.json.JsonString;

/** Reading stored messages. */
public final class Messages {
    static final String VIEW_COLUMNS = """
            m.id, m.api_key_id, m.status, m.sender, m.to_recipients, m.cc_recipients, m.bcc_recipients, m.subject,
            m.tags, m.created_at, m.send_at, m.sent_at, m.attempts, m.next_attempt_at, m.last_error, m.transport,
            m.smtp_message_id, m.request_id, m.smtp_code, m.smtp_reply, """ + Attachments.VIEW_COLUMN;
    /** The key's own message, and whether the key is still valid with the caller's secret. */
    private static final String FIND_OWN = "SELECT (k.is_active AND k.key_hash = :hash) AS key_valid, " + VIEW_COLUMNS + """
              FROM api_keys k
              LEFT JOIN messages m ON m.id = :id AND m.api_key_id = k.id
             WHERE k.id = :key
            """;

    /**
     * A page of a key's own messages, and (on every row, or on the one row when there is none)
     * whether the key is valid; {@link Conditions} fills in {@code %s}.
     */
    static final String PAGE_OWN = "SELECT (k.is_active AND k.key_hash = :hash) AS key_valid, " + VIEW_COLUMNS + """
              FROM api_keys k
              LEFT JOIN LATERAL (SELECT * FROM messages m
                                  WHERE m.api_key_id = k.id
                                  %s
                                  ORDER BY m.created_at DESC, m.id DESC
                                  LIMIT :limit) m ON true
             WHERE k.id = :key
             ORDER BY m.created_at DESC, m.id DESC
            """;
    /** The newest messages of all keys or one; {@link Conditions} fills in {@code %s}. */
    private static final String LIST = "SELECT k.name AS key_name, " + VIEW_COLUMNS + """
              FROM messages m
              JOIN api_keys k ON k.id = m.api_key_id
             WHERE true
             %s
             ORDER BY m.created_at DESC, m.id DESC
             LIMIT :limit
            """;
    /** Messages whose id lies in a range (an id prefix), with how many there are. */
    private static final String FIND_RANGE = "SELECT k.name AS key_name, count(*) OVER () AS matches, " + VIEW_COLUMNS + """
              FROM messages m
              JOIN api_keys k ON k.id = m.api_key_id
             WHERE m.id BETWEEN CAST(:low AS uuid) AND CAST(:high AS uuid)
             ORDER BY m.id
             LIMIT :limit
            """;
    private static final String FIND = "SELECT k.name AS key_name, " + VIEW_COLUMNS + """
              FROM messages m
              JOIN api_keys k ON k.id = m.api_key_id
             WHERE m.id = :id
            """;
    private static final String RETRY = """
            UPDATE messages SET status = 'queued', attempts = 0, next_attempt_at = now(), locked_until = NULL,
                                updated_at = now()
             WHERE id = :id AND status = 'failed' AND bodies_removed_at IS NULL
            """;
    private static final String BODIES_REMOVED = "SELECT bodies_removed_at IS NOT NULL AS removed FROM messages WHERE id = :id";

    /** Failed messages (of a key, failed since a time) after an id, in id order: one batch of a bulk retry. */
    private static final String FAILED_BATCH_CONDITION = """
             WHERE status = 'failed'
               AND bodies_removed_at IS NULL
               AND id > CAST(:after AS uuid)
               AND updated_at >= CAST(:since AS timestamptz)
               AND (CAST(:key AS uuid) IS NULL OR api_key_id = CAST(:key AS uuid))
            """;
    private static final String RETRY_BATCH = """
            UPDATE messages SET status = 'queued', attempts = 0, next_attempt_at = now(), locked_until = NULL,
                                updated_at = now()
             WHERE id IN (SELECT id FROM messages
            """ + FAILED_BATCH_CONDITION + """
                           ORDER BY id
                           LIMIT :batch
                           FOR UPDATE SKIP LOCKED)
               AND status = 'failed'
            RETURNING id
            """;
    private static final String COUNT_FAILED = "SELECT count(*) AS n FROM messages " + FAILED_BATCH_CONDITION;
    private static final String NO_ID = "00000000-0000-0000-0000-000000000000";
    private static final String LAST_ID = "ffffffff-ffff-ffff-ffff-ffffffffffff";
    private static final int RETRY_BATCH_SIZE = 1000;
    /** How many matches of an ambiguous id prefix are named. */
    private static final int SHOWN_MATCHES = 10;

    private final Database database;

    public Messages(Database database) {
        this.database = database;
    }

    /** What a key asking for one of its messages gets. */
    public sealed interface Lookup {
        record Found(MessageView message) implements Lookup {
        }

        record NotFound() implements Lookup {
        }

        record KeyInvalid() implements Lookup {
        }
    }

    /** A key's own message; another key's message is {@link Lookup.NotFound}, as is an unknown id. */
    public Lookup findOwn(UUID keyId, String keyHash, UUID messageId) {
        Optional<DbRow> row = database.run(() -> database.client().execute()
                .createGet(FIND_OWN)
                .addParam("hash", keyHash)
                .addParam("id", messageId)
                .addParam("key", keyId)
                .execute());
        if (row.isEmpty() || !Rows.bool(row.get(), "key_valid")) {
            return new Lookup.KeyInvalid();
        }
        return Rows.uuid(row.get(), "id") == null ? new Lookup.NotFound() : new Lookup.Found(view(row.get()));
    }

    /** A message with the name of the key that sent it, for operators. */
    public record Listed(MessageView message, String keyName) {
    }

    /** A page of a key's messages and the cursor of the next one, if there are more. */
    public record Page(List<MessageView> messages, Optional<MessageCursor> next) {
    }

    /** What a key asking for a page of its messages gets. */
    public sealed interface PageLookup {
        record Found(Page page) implements PageLookup {
        }

        record KeyInvalid() implements PageLookup {
        }
    }

    /**
     * A key's own messages, newest first, matching the filter (its key part is the caller's),
     * starting after the cursor; at most {@code limit}.
     */
    public PageLookup page(UUID keyId, String keyHash, MessageFilter filter, Optional<MessageCursor> after, int limit) {
        Conditions conditions = Conditions.of(filter, after);
        List<DbRow> rows = database.run(() -> conditions.bind(database.client().execute()
                                                                      .createQuery(conditions.fill(PAGE_OWN)))
                .addParam("hash", keyHash)
                .addParam("key", keyId)
                .addParam("limit", limit + 1)
                .execute()
                .toList());
        if (rows.isEmpty() || !Rows.bool(rows.getFirst(), "key_valid")) {
            return new PageLookup.KeyInvalid();
        }
        List<MessageView> messages = rows.stream().filter(row -> Rows.uuid(row, "id") != null).map(Messages::view).toList();
        if (messages.size() <= limit) {
            return new PageLookup.Found(new Page(messages, Optional.empty()));
        }
        MessageView last = messages.get(limit - 1);
        return new PageLookup.Found(new Page(messages.subList(0, limit),
                                             Optional.of(new MessageCursor(last.createdAt(), last.id()))));
    }

    /** The newest messages of every key (or the filter's key) that match the filter, for operators. */
    public List<Listed> list(MessageFilter filter, int limit) {
        Conditions conditions = Conditions.of(filter, Optional.empty());
        return database.run(() -> conditions.bind(database.client().execute().createQuery(conditions.fill(LIST)))
                .addParam("limit", limit)
                .execute()
                .map(row -> new Listed(view(row), Rows.string(row, "key_name")))
                .toList());
    }

    /**
     * The message an operator means by a whole id or by the start of one (8 or more hex digits,
     * dashes optional); a prefix that several messages share is an error that counts and names them.
     */
    public Listed resolve(String reference) {
        String ref = reference.strip().toLowerCase(Locale.ROOT);
        String hex = ref.replace("-", "");
        if (!hex.matches("[0-9a-f]{8,32}") || !(ref.equals(hex) || ref.equals(idPrefix(hex)))) {
            throw new MgwException("'" + reference + "' is not a message id or the start of one (8 or more hex digits)");
        }
        List<DbRow> rows = database.run(() -> database.client().execute()
                .createQuery(FIND_RANGE)
                .addParam("low", uuid(hex, '0'))
                .addParam("high", uuid(hex, 'f'))
                .addParam("limit", SHOWN_MATCHES)
                .execute()
                .toList());
        if (rows.isEmpty()) {
            throw new MgwException("no message " + reference.strip());
        }
        if (rows.size() == 1) {
            return new Listed(view(rows.getFirst()), Rows.string(rows.getFirst(), "key_name"));
        }
        long matches = Rows.longValue(rows.getFirst(), "matches");
        throw new MgwException("'" + reference.strip() + "' matches " + matches + " messages: "
                               + rows.stream().map(row -> Rows.uuid(row, "id") + " (" + Rows.string(row, "status") + ")")
                                       .collect(Collectors.joining(", "))
                               + (matches > rows.size() ? ", …" : "") + "; give more of the id");
    }

    /** The first {@code hex.length()} hex digits of an id, dashed as ids are. */
    private static String idPrefix(String hex) {
        String full = uuid(hex, '0');
        int length = hex.length() + (hex.length() > 8 ? 1 : 0) + (hex.length() > 12 ? 1 : 0)
                     + (hex.length() > 16 ? 1 : 0) + (hex.length() > 20 ? 1 : 0);
        return full.substring(0, length);
    }

    /** The id that starts with these hex digits and continues with {@code fill}. */
    private static String uuid(String hex, char fill) {
        String all = hex + String.valueOf(fill).repeat(32 - hex.length());
        return all.substring(0, 8) + "-" + all.substring(8, 12) + "-" + all.substring(12, 16) + "-"
               + all.substring(16, 20) + "-" + all.substring(20);
    }

    public Optional<Listed> find(UUID id) {
        return database.run(() -> database.client().execute()
                .createGet(FIND)
                .addParam("id", id)
                .execute()
                .map(row -> new Listed(view(row), Rows.string(row, "key_name"))));
    }

    /**
     * Puts a failed message back in the queue with a fresh set of attempts (its quota was charged
     * when it was accepted and is not charged again).
     */
    public void retry(UUID id) {
        long updated = database.run(() -> database.client().execute().createUpdate(RETRY).addParam("id", id).execute());
        if (updated == 0) {
            Listed message = find(id).orElseThrow(() -> new MgwException("no message " + id));
            if (bodiesRemoved(id)) {
                throw new MgwException("message " + id + " cannot be retried: retention removed its bodies "
                                       + "(RETENTION_BODY_DAYS)");
            }
            throw new MgwException("message " + id + " is " + message.message().status()
                                   + "; only failed messages can be retried");
        }
    }

    /**
     * Puts every failed message (of one key, or that failed since a time) back in the queue with
     * a fresh set of attempts, in batches; returns how many. With {@code dryRun}, only counts them.
     */
    public long retryFailed(Optional<UUID> keyId, Optional<Instant> failedSince, boolean dryRun) {
        String key = keyId.map(UUID::toString).orElse(null);
        String since = failedSince.map(Instant::toString).orElse("-infinity");
        if (dryRun) {
            return database.run(() -> database.client().execute()
                    .createGet(COUNT_FAILED)
                    .addParam("after", NO_ID)
                    .addParam("since", since)
                    .addParam("key", key)
                    .execute()
                    .map(row -> Rows.longValue(row, "n"))
                    .orElse(0L));
        }
        long retried = 0;
        String after = NO_ID;
        while (true) {
            String from = after;
            List<UUID> batch = database.run(() -> database.client().execute()
                    .createQuery(RETRY_BATCH)
                    .addParam("after", from)
                    .addParam("since", since)
                    .addParam("key", key)
                    .addParam("batch", RETRY_BATCH_SIZE)
                    .execute()
                    .map(row -> Rows.uuid(row, "id"))
                    .toList());
            if (batch.isEmpty()) {
                return retried;
            }
            retried += batch.size();
            after = batch.stream().map(UUID::toString).max(String::compareTo).orElseThrow();
        }
    }

    private boolean bodiesRemoved(UUID id) {
        return database.run(() -> database.client().execute()
                .createGet(BODIES_REMOVED)
                .addParam("id", id)
                .execute()
                .map(row -> Rows.bool(row, "removed"))
                .orElse(false));
    }

    static MessageView view(DbRow row) {
        return new MessageView(Rows.uuid(row, "id"),
                               Rows.uuid(row, "api_key_id"),
                               Rows.string(row, "status"),
                               Rows.string(row, "sender"),
                               Rows.strings(row, "to_recipients"),
                               Rows.strings(row, "cc_recipients"),
                               Rows.strings(row, "bcc_recipients"),
                               Rows.string(row, "subject"),
                               stringMap(Rows.json(row, "tags")),
                               Rows.instant(row, "created_at"),
                               Rows.optionalInstant(row, "send_at"),
                               Rows.optionalInstant(row, "sent_at"),
                               Rows.integer(row, "attempts"),
                               Rows.optionalInstant(row, "next_attempt_at"),
                               Rows.optionalString(row, "last_error"),
                               Rows.optionalString(row, "transport"),
                               Rows.optionalString(row, "smtp_message_id"),
                               Rows.optionalString(row, "request_id"),
                               Attachments.fromView(row),
                               Rows.optionalInteger(row, "smtp_code"),
                               Rows.optionalString(row, "smtp_reply"));
    }

    static Map<String, String> stringMap(JsonObject json) {
        Map<String, String> map = new LinkedHashMap<>();
        if (json != null) {
            json.forEach((k, v) -> map.put(k, ((JsonString) v).getString()));
        }
        return map;
    }
}
