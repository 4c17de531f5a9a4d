package dev.mgw.core.messages;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

import org.postgresql.util.ByteStreamWriter;

/**
 * The decoded bytes of one attachment, from the moment they are decoded until the accept's insert
 * has sent them to the database. They are written once (by the base64 decoder) into chunks and
 * bound to the insert as they are: no growing array that copies itself, no copy into one array
 * for the driver, and no allocation large enough to need a run of free heap regions. Chunks grow
 * with the content, from {@value #FIRST_CHUNK} bytes (many tiny attachments stay tiny) to
 * {@value #MAX_CHUNK}.
 */
public final class AttachmentBytes extends OutputStream {
    static final int FIRST_CHUNK = 256;
    static final int MAX_CHUNK = 64 * 1024;

    private final List<byte[]> chunks = new ArrayList<>();
    /** Bytes used in the last chunk (every other one is full). */
    private int used;
    private long size;

    @Override
    public void write(int b) {
        room();
        chunks.getLast()[used++] = (byte) b;
        size++;
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
        while (length > 0) {
            room();
            int n = Math.min(length, chunks.getLast().length - used);
            System.arraycopy(bytes, offset, chunks.getLast(), used, n);
            used += n;
            offset += n;
            length -= n;
            size += n;
        }
    }

    private void room() {
        if (chunks.isEmpty() || used == chunks.getLast().length) {
            chunks.add(new byte[Math.clamp(size, FIRST_CHUNK, MAX_CHUNK)]);
            used = 0;
        }
    }

    public long size() {
        return size;
    }

    /** The bytes as a {@code bytea} statement parameter, which the driver writes to its socket from the chunks. */
    ByteStreamWriter parameter() {
        return new ByteStreamWriter() {
            @Override
            public int getLength() {
                return Math.toIntExact(size);
            }

            @Override
            public void writeTo(ByteStreamTarget target) throws IOException {
                OutputStream out = target.getOutputStream();
                for (int i = 0; i < chunks.size(); i++) {
                    byte[] chunk = chunks.get(i);
                    out.write(chunk, 0, i == chunks.size() - 1 ? used : chunk.length);
                }
            }
        };
    }
}
