package dev.mgw.core.messages;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import dev.mgw.core.db.Database;
import dev.mgw.core.db.Rows;

import io.helidon.dbclient.DbExecute;
import io.helidon.dbclient.DbRow;
import io.helidon.dbclient.DbStatementDml;

import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;

/**
 * Attachments live in {@code message_attachments}, apart from the messages, so that claiming
 * messages for delivery reads none of their bytes; a message's {@code attachment_count} tells
 * whether there is anything to read. Their bytes go into the database in the accept's
 * transaction straight from the decoder's chunks, and come out for delivery in slices of
 * {@value #SLICE} bytes, read as the MIME is written, so that no more than a slice of each
 * message being sent is in memory.
 */
public final class Attachments {
    static final int SLICE = 128 * 1024;
    /** PostgreSQL takes at most 32767 parameters in one statement (7 a row). */
    private static final int ROWS_PER_INSERT = 1000;
    private static final String INSERT = """
            INSERT INTO message_attachments (message_id, position, filename, content_type, content_id, size, content)
            VALUES\s""";
    private static final String ROW = "(?, ?, ?, ?, ?, ?, ?)";
    private static final String LIST = """
            SELECT position, filename, content_type, content_id, size
              FROM message_attachments
             WHERE message_id = :id
             ORDER BY position
            """;
    private static final String READ_SLICE = """
            SELECT substring(content FROM :from FOR :length) AS slice
              FROM message_attachments
             WHERE message_id = :id AND position = :position
            """;
    /**
     * A message's attachments as a JSON array (never the bytes), for the message view: a column
     * of a query over {@code messages m}. Without attachments it reads nothing more.
     */
    static final String VIEW_COLUMN = """
            COALESCE(CASE WHEN m.attachment_count > 0 THEN
                              (SELECT json_agg(json_build_object('position', a.position, 'filename', a.filename,
                                                                 'content_type', a.content_type,
                                                                 'content_id', a.content_id, 'size', a.size)
                                               ORDER BY a.position)
                                 FROM message_attachments a
                                WHERE a.message_id = m.id)
                          END, CAST('[]' AS json)) AS attachments""";

    private final Database database;

    public Attachments(Database database) {
        this.database = database;
    }

    /** Stores the attachments of messages inserted in the caller's transaction, in as few statements as fit. */
    void store(DbExecute tx, Map<UUID, List<NewAttachment>> byMessage) {
        List<Object[]> rows = new ArrayList<>();
        byMessage.forEach((messageId, attachments) -> {
            for (int position = 0; position < attachments.size(); position++) {
                NewAttachment attachment = attachments.get(position);
                rows.add(new Object[] {messageId, position, attachment.filename(), attachment.contentType(),
                                       attachment.contentId().orElse(null), attachment.content().size(),
                                       attachment.content().parameter()});
            }
        });
        for (int from = 0; from < rows.size(); from += ROWS_PER_INSERT) {
            List<Object[]> part = rows.subList(from, Math.min(rows.size(), from + ROWS_PER_INSERT));
            DbStatementDml insert = tx.createNamedInsert("insert-attachments",
                                                         INSERT + String.join(", ", Collections.nCopies(part.size(), ROW)));
            for (Object[] row : part) {
                for (Object value : row) {
                    insert.addParam(value);
                }
            }
            insert.execute();
        }
    }

    /** A message's attachments, in order, without their bytes. */
    public List<StoredAttachment> list(UUID messageId) {
        return database.run(() -> database.client().execute()
                .createNamedQuery("list-attachments", LIST)
                .addParam("id", messageId)
                .execute()
                .map(row -> new StoredAttachment(Rows.integer(row, "position"),
                                                 Rows.string(row, "filename"),
                                                 Rows.string(row, "content_type"),
                                                 Rows.optionalString(row, "content_id"),
                                                 Rows.longValue(row, "size")))
                .toList());
    }

    /**
     * The bytes of a stored attachment, read from the database a slice at a time as the stream is
     * read. A database failure on the way is an {@link IOException} whose cause says so.
     */
    public InputStream open(UUID messageId, StoredAttachment attachment) {
        return new SliceStream(messageId, attachment);
    }

    /** The attachments column of {@link #VIEW_COLUMN}. */
    static List<StoredAttachment> fromView(DbRow row) {
        JsonArray array = Rows.jsonArray(row, "attachments");
        List<StoredAttachment> attachments = new ArrayList<>(array.size());
        for (JsonObject a : array.getValuesAs(JsonObject.class)) {
            attachments.add(new StoredAttachment(a.getInt("position"),
                                                 a.getString("filename"),
                                                 a.getString("content_type"),
                                                 a.get("content_id") instanceof JsonString id
                                                         ? Optional.of(id.getString()) : Optional.empty(),
                                                 ((JsonNumber) a.get("size")).longValue()));
        }
        return attachments;
    }

    private byte[] slice(UUID messageId, int position, long from, int length) {
        return database.run(() -> database.client().execute()
                .createNamedGet("read-attachment-slice", READ_SLICE)
                .addParam("from", Math.toIntExact(from + 1))
                .addParam("length", length)
                .addParam("id", messageId)
                .addParam("position", position)
                .execute()
                .map(row -> Rows.bytes(row, "slice"))
                .orElse(null));
    }

    /** Reads the next slice when the current one is used up. */
    private final class SliceStream extends InputStream {
        private final UUID messageId;
        private final StoredAttachment attachment;
        private byte[] slice = new byte[0];
        private int next;
        private long read;

        SliceStream(UUID messageId, StoredAttachment attachment) {
            this.messageId = messageId;
            this.attachment = attachment;
        }

        @Override
        public int read() throws IOException {
            return fill() ? slice[next++] & 0xFF : -1;
        }

        @Override
        public int read(byte[] bytes, int offset, int length) throws IOException {
            if (length == 0) {
                return 0;
            }
            if (!fill()) {
                return -1;
            }
            int n = Math.min(length, slice.length - next);
            System.arraycopy(slice, next, bytes, offset, n);
            next += n;
            return n;
        }

        /** Whether a byte is there to read, fetching the next slice if need be. */
        private boolean fill() throws IOException {
            if (next < slice.length) {
                return true;
            }
            if (read == attachment.size()) {
                return false;
            }
            int length = (int) Math.min(SLICE, attachment.size() - read);
            byte[] fetched;
            try {
                fetched = slice(messageId, attachment.position(), read, length);
            } catch (RuntimeException e) {
                throw new IOException("cannot read attachment " + attachment.position() + " of message " + messageId
                                      + ": " + e.getMessage(), e);
            }
            if (fetched == null || fetched.length != length) {
                throw new IOException("attachment " + attachment.position() + " of message " + messageId
                                      + " is no longer stored in full");
            }
            slice = fetched;
            next = 0;
            read += length;
            return true;
        }
    }
}
