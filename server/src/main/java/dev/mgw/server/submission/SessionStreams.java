package dev.mgw.server.submission;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;

import javax.net.ssl.HandshakeCompletedListener;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

import org.subethamail.smtp.server.Session;
import org.subethamail.smtp.server.SessionHandler;

/**
 * The streams of a submission connection (the plain socket's, and after STARTTLS the TLS
 * socket's), which do two things SubEthaSMTP has no hook for:
 * <ul>
 * <li>close a connection after {@value #LIMIT} bad commands (SPEC §13): replies 500–504 (unknown
 * command, bad syntax, bad sequence; SubEthaSMTP answers unknown commands itself) are counted as
 * the session writes them, and the reply that reaches the limit goes out as {@code 421} instead,
 * after which the connection reads nothing more;</li>
 * <li>answer pipelined commands together: a reply is held until the session next needs input it
 * has not buffered yet (or starts TLS, or closes), so that {@code MAIL}, {@code RCPT} and
 * {@code DATA} sent at once get their three replies in one write (one TLS record) rather than
 * three.</li>
 * </ul>
 */
final class SessionStreams {
    static final int LIMIT = 10;
    private static final byte[] CLOSING = "421 4.7.0 Too many bad commands; closing connection\r\n"
            .getBytes(StandardCharsets.US_ASCII);

    private final SubmissionTls tls;

    SessionStreams(SubmissionTls tls) {
        this.tls = tls;
    }

    /**
     * Counts on every accepted connection, then lets {@code sessions} decide; a connection closed
     * with {@code 421} (too many bad commands or messages, idle too long) is {@link Sessions#limited}.
     */
    SessionHandler around(Sessions sessions) {
        return new SessionHandler() {
            @Override
            public SessionAcceptance accept(Session session) {
                String id = session.getSessionId();
                try {
                    session.setSocket(new CountedSocket(session.getSocket(), new Count(() -> sessions.limited(id))));
                } catch (IOException e) {
                    return SessionAcceptance.failure(421, "4.3.0 Cannot serve this connection");
                }
                return sessions.accept(session);
            }

            @Override
            public void onSessionEnd(Session session) {
                sessions.onSessionEnd(session);
            }
        };
    }

    /** STARTTLS over the plain connection (its {@code 220} sent first), counting on as before. */
    SSLSocket startTls(Socket socket) throws IOException {
        if (socket instanceof CountedSocket counted) {
            counted.count.sendHeld();
            return new CountedTlsSocket(tls.wrap(counted.plain), counted.count);
        }
        return tls.wrap(socket);
    }

    /** One connection's count, whether it is over, and the replies held back. */
    private static final class Count {
        private final Runnable closing;
        private final ByteArrayOutputStream held = new ByteArrayOutputStream();
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
        private OutputStream out;
        private int bad;
        private volatile boolean over;

        Count(Runnable closing) {
            this.closing = closing;
        }

        /** The reply as it goes out: 421 instead once the limit is reached, nothing after that. */
        byte[] reply(byte[] reply) {
            if (over) {
                return new byte[0];
            }
            if (reply.length >= 3 && reply[0] == '5' && reply[1] == '0' && reply[2] >= '0' && reply[2] <= '4'
                && ++bad >= LIMIT) {
                over = true;
                closing.run();
                return CLOSING;
            }
            if (reply.length >= 3 && reply[0] == '4' && reply[1] == '2' && reply[2] == '1') {
                closing.run();
            }
            return reply;
        }

        /** Reads (by the session's buffer, when it has run dry) send the replies held first. */
        InputStream in(InputStream in) {
            return new FilterInputStream(in) {
                @Override
                public int read() throws IOException {
                    sendHeld();
                    return over ? -1 : super.read();
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    sendHeld();
                    return over ? -1 : super.read(b, off, len);
                }
            };
        }

        /**
         * Takes each reply when the session flushes it (which it does after every reply) and holds
         * it until {@link #sendHeld}.
         */
        OutputStream out(OutputStream socketOut) {
            synchronized (this) {
                out = socketOut;
            }
            return new FilterOutputStream(socketOut) {
                @Override
                public void write(int b) {
                    synchronized (Count.this) {
                        pending.write(b);
                    }
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    synchronized (Count.this) {
                        pending.write(b, off, len);
                    }
                }

                @Override
                public void flush() {
                    synchronized (Count.this) {
                        held.writeBytes(reply(pending.toByteArray()));
                        pending.reset();
                    }
                }

                @Override
                public void close() throws IOException {
                    try {
                        flush();
                        sendHeld();
                    } finally {
                        socketOut.close();
                    }
                }
            };
        }

        /** Writes the replies held, if any. */
        synchronized void sendHeld() throws IOException {
            if (held.size() > 0 && out != null) {
                byte[] replies = held.toByteArray();
                held.reset();
                out.write(replies);
                out.flush();
            }
        }
    }

    /** The plain connection with counted streams. */
    private static final class CountedSocket extends Socket {
        private final Socket plain;
        private final Count count;

        CountedSocket(Socket plain, Count count) {
            this.plain = plain;
            this.count = count;
        }

        @Override
        public InputStream getInputStream() throws IOException {
            return count.in(plain.getInputStream());
        }

        @Override
        public OutputStream getOutputStream() throws IOException {
            return count.out(plain.getOutputStream());
        }

        @Override
        public void setSoTimeout(int timeout) throws SocketException {
            plain.setSoTimeout(timeout);
        }

        @Override
        public int getSoTimeout() throws SocketException {
            return plain.getSoTimeout();
        }

        @Override
        public InetAddress getInetAddress() {
            return plain.getInetAddress();
        }

        @Override
        public int getPort() {
            return plain.getPort();
        }

        @Override
        public SocketAddress getRemoteSocketAddress() {
            return plain.getRemoteSocketAddress();
        }

        @Override
        public SocketAddress getLocalSocketAddress() {
            return plain.getLocalSocketAddress();
        }

        @Override
        public boolean isBound() {
            return plain.isBound();
        }

        @Override
        public boolean isConnected() {
            return plain.isConnected();
        }

        @Override
        public boolean isClosed() {
            return plain.isClosed();
        }

        @Override
        public void close() throws IOException {
            plain.close();
        }
    }

    /** The TLS connection after STARTTLS with counted streams. */
    private static final class CountedTlsSocket extends SSLSocket {
        private final SSLSocket tls;
        private final Count count;

        CountedTlsSocket(SSLSocket tls, Count count) {
            this.tls = tls;
            this.count = count;
        }

        @Override
        public InputStream getInputStream() throws IOException {
            return count.in(tls.getInputStream());
        }

        @Override
        public OutputStream getOutputStream() throws IOException {
            return count.out(tls.getOutputStream());
        }

        @Override
        public void setSoTimeout(int timeout) throws SocketException {
            tls.setSoTimeout(timeout);
        }

        @Override
        public int getSoTimeout() throws SocketException {
            return tls.getSoTimeout();
        }

        @Override
        public InetAddress getInetAddress() {
            return tls.getInetAddress();
        }

        @Override
        public int getPort() {
            return tls.getPort();
        }

        @Override
        public SocketAddress getRemoteSocketAddress() {
            return tls.getRemoteSocketAddress();
        }

        @Override
        public SocketAddress getLocalSocketAddress() {
            return tls.getLocalSocketAddress();
        }

        @Override
        public boolean isBound() {
            return tls.isBound();
        }

        @Override
        public boolean isConnected() {
            return tls.isConnected();
        }

        @Override
        public boolean isClosed() {
            return tls.isClosed();
        }

        @Override
        public void close() throws IOException {
            tls.close();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return tls.getSupportedCipherSuites();
        }

        @Override
        public String[] getEnabledCipherSuites() {
            return tls.getEnabledCipherSuites();
        }

        @Override
        public void setEnabledCipherSuites(String[] suites) {
            tls.setEnabledCipherSuites(suites);
        }

        @Override
        public String[] getSupportedProtocols() {
            return tls.getSupportedProtocols();
        }

        @Override
        public String[] getEnabledProtocols() {
            return tls.getEnabledProtocols();
        }

        @Override
        public void setEnabledProtocols(String[] protocols) {
            tls.setEnabledProtocols(protocols);
        }

        @Override
        public SSLSession getSession() {
            return tls.getSession();
        }

        @Override
        public void addHandshakeCompletedListener(HandshakeCompletedListener listener) {
            tls.addHandshakeCompletedListener(listener);
        }

        @Override
        public void removeHandshakeCompletedListener(HandshakeCompletedListener listener) {
            tls.removeHandshakeCompletedListener(listener);
        }

        @Override
        public void startHandshake() throws IOException {
            tls.startHandshake();
        }

        @Override
        public void setUseClientMode(boolean mode) {
            tls.setUseClientMode(mode);
        }

        @Override
        public boolean getUseClientMode() {
            return tls.getUseClientMode();
        }

        @Override
        public void setNeedClientAuth(boolean need) {
            tls.setNeedClientAuth(need);
        }

        @Override
        public boolean getNeedClientAuth() {
            return tls.getNeedClientAuth();
        }

        @Override
        public void setWantClientAuth(boolean want) {
            tls.setWantClientAuth(want);
        }

        @Override
        public boolean getWantClientAuth() {
            return tls.getWantClientAuth();
        }

        @Override
        public void setEnableSessionCreation(boolean flag) {
            tls.setEnableSessionCreation(flag);
        }

        @Override
        public boolean getEnableSessionCreation() {
            return tls.getEnableSessionCreation();
        }
    }
}
