package dev.mgw.server.delivery;

import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;

/**
 * A socket whose writes can be held back and sent with the next one: the commands of a pipelined
 * group, which Angus Mail writes and flushes one at a time, leave in one segment, so that the relay
 * reads them together and answers them together. Used by one thread ({@link #close} aside).
 */
final class GroupingSocket extends Socket {
    private final ByteArrayOutputStream held = new ByteArrayOutputStream(256);
    private boolean holding;
    private OutputStream out;

    /** Writes are kept (flushes ignored) until {@link #release}. */
    void hold() {
        holding = true;
    }

    /** The next write sends what was kept with it; {@code discard}: drop what was kept instead. */
    void release(boolean discard) {
        holding = false;
        if (discard) {
            held.reset();
        }
    }

    @Override
    public synchronized OutputStream getOutputStream() throws IOException {
        if (out == null) {
            OutputStream socket = super.getOutputStream();
            out = new FilterOutputStream(socket) {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    if (holding || held.size() > 0) {
                        held.write(b, off, len);
                        if (holding) {
                            return;
                        }
                        byte[] all = held.toByteArray();
                        held.reset();
                        socket.write(all);
                    } else {
                        socket.write(b, off, len);
                    }
                }

                @Override
                public void flush() throws IOException {
                    if (!holding) {
                        socket.flush();
                    }
                }
            };
        }
        return out;
    }
}
