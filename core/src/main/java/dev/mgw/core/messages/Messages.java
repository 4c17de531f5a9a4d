package dev.mgw.core.messages;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

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
            m.smtp_message_id, m.request_id, """ + Attachments.VIEW_COLUMN;
    /** The key's own message, and whether the key is still valid with the caller's secret. */
    private static final String FIND_OWN = "SELECT (k.is_active AND k.key_hash = :hash) AS key_valid, " + VIEW_COLUMNS + """
              FROM api_keys k
              LEFT JOIN messages m ON m.id = :id AND m.api_key_id = k.id
             WHERE k.id = :key
            """;

    private static final String LIST = "SELECT k.name AS key_name, " + VIEW_COLUMNS + """
              FROM messages m
              JOIN api_keys k ON k.id = m.api_key_id
             WHERE (CAST(:status AS text) IS NULL OR m.status = CAST(:status AS text))
               AND (CAST(:key AS uuid) IS NULL OR m.api_key_id = CAST(:key AS uuid))
             ORDER BY m.created_at DESC
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

    /** The newest messages, optionally of one status and one key. */
    public List<Listed> list(Optional<String> status, Optional<UUID> keyId, int limit) {
        return database.run(() -> database.client().execute()
                .createQuery(LIST)
                .addParam("status", status.orElse(null))
                .addParam("key", keyId.map(UUID::toString).orElse(null))
                .addParam("limit", limit)
                .execute()
                .map(row -> new Listed(view(row), Rows.string(row, "key_name")))
                .toList());
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
                               Attachments.fromView(row));
    }

    static Map<String, String> stringMap(JsonObject json) {
        Map<String, String> map = new LinkedHashMap<>();
        if (json != null) {
            json.forEach((k, v) -> map.put(k, ((JsonString) v).getString()));
        }
        return map;
    }
}
