package dev.mgw.core.submission;

import java.util.Optional;
import java.util.UUID;

import dev.mgw.core.db.Database;
import dev.mgw.core.db.Rows;

import io.helidon.dbclient.DbExecute;
import io.helidon.dbclient.DbStatement;

/**
 * The MIME of messages submitted over SMTP lives in {@code message_mime}, apart from the
 * messages, so that claiming messages for delivery reads none of it; a message's {@code source}
 * ({@code smtp}) tells delivery to read it here.
 */
public final class SubmittedMimes {
    private static final String INSERT =
            "INSERT INTO message_mime (message_id, envelope_from, content) VALUES (:id, :envelope_from, :content)";
    private static final String READ = "SELECT envelope_from, content FROM message_mime WHERE message_id = :id";

    /**
     * The insert as a data-modifying CTE of the accept statement, storing the MIME of the message
     * that {@code messageCte} (a CTE returning {@code id}) inserted, if it did. Parameters: the
     * envelope sender, then the content ({@link #addParameters}).
     */
    public static String insertAfter(String messageCte) {
        return "INSERT INTO message_mime (message_id, envelope_from, content) SELECT id, ?, ? FROM " + messageCte;
    }

    /** Adds the parameters of {@link #insertAfter}, in its order. */
    public static <S extends DbStatement<S>> S addParameters(S statement, RawMime mime) {
        return statement.addParam(mime.envelopeFrom()).addParam(mime.content());
    }

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
