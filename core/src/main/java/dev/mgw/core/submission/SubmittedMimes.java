package dev.mgw.core.submission;

import java.util.Optional;
import java.util.UUID;

import dev.mgw.core.db.Database;
import dev.mgw.core.db.Rows;

import io.helidon.dbclient.DbExecute;

/**
 * The MIME of messages submitted over SMTP lives in {@code message_mime}, apart from the
 * messages, so that claiming messages for delivery reads none of it; a message's {@code source}
 * ({@code smtp}) tells delivery to read it here.
 */
public final class SubmittedMimes {
    private static final String INSERT =
            "INSERT INTO message_mime (message_id, envelope_from, content) VALUES (:id, :envelope_from, :content)";
    private static final String READ = "SELECT envelope_from, content FROM message_mime WHERE message_id = :id";

    private final Database database;

    public SubmittedMimes(Database database) {
        this.database = database;
    }

    /** Stores the MIME of a message inserted in the caller's transaction. */
    public static void store(DbExecute tx, UUID messageId, RawMime mime) {
        tx.createNamedInsert("insert-message-mime", INSERT)
                .addParam("id", messageId)
                .addParam("envelope_from", mime.envelopeFrom())
                .addParam("content", mime.content())
                .execute();
    }

    /** A submitted message's MIME; empty when retention removed it or the message did not come over SMTP. */
    public Optional<RawMime> read(UUID messageId) {
        return database.run(() -> database.client().execute()
                .createNamedGet("read-message-mime", READ)
                .addParam("id", messageId)
                .execute()
                .filter(row -> Rows.bytes(row, "content") != null)
                .map(row -> new RawMime(Rows.string(row, "envelope_from"), Rows.bytes(row, "content"))));
    }
}
