package dev.mgw.server.delivery;

import java.util.ArrayDeque;
import java.util.List;

import dev.mgw.core.config.GatewayConfig;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.URLName;
import org.eclipse.angus.mail.smtp.SMTPTransport;

/**
 * Angus Mail's SMTP transport with command pipelining (RFC 2920) for relays that offer it. The
 * sender writes a message's envelope commands ahead, all at once ({@code RSET}, {@code MAIL},
 * each {@code RCPT} and {@code DATA}, {@link #writeAhead}); Angus Mail then issues them as it
 * always does, one by one, but a command written ahead is not written again: Angus Mail only
 * reads its reply, which is next in line. Its handling of every reply (refusals, partial sends,
 * the data after 354) stays its own, and a message costs two round trips to the relay instead of
 * five.
 *
 * <p>When Angus Mail leaves the group (after a refusal it says {@code RSET}), the replies to the
 * commands written ahead that it did not issue come first: they are read and dropped before its
 * command goes out. Should one of them be 354 (a relay that took {@code DATA} although it refused
 * the message), the relay waits for data that must not come: the send fails and the connection
 * is closed.
 */
final class PipeliningTransport extends SMTPTransport {
    private final ArrayDeque<String> ahead = new ArrayDeque<>();

    PipeliningTransport(Session session, GatewayConfig.Smtp settings) {
        super(session, new URLName(SmtpSender.protocol(settings), null, -1, null, null, null),
              SmtpSender.protocol(settings), settings.ssl());
    }

    /** Whether the relay offers PIPELINING (known once connected; a relay without it gets one command at a time). */
    boolean pipelining() {
        return supportsExtension("PIPELINING");
    }

    /** Writes these commands now; their replies are read when they are issued, in this order. */
    synchronized void writeAhead(List<String> commands) throws MessagingException {
        for (String command : commands) {
            super.sendCommand(command);
            ahead.add(command);
        }
    }

    @Override
    protected void sendCommand(String command) throws MessagingException {
        String next = ahead.poll();
        if (next == null) {
            super.sendCommand(command);
            return;
        }
        if (next.equals(command)) {
            return;
        }
        int unread = 1 + ahead.size();
        ahead.clear();
        for (int i = 0; i < unread; i++) {
            int code = readServerResponse();
            if (code == 354 || code < 0) {
                throw new MessagingException("the relay answered " + code + " to a command written ahead after "
                                             + "refusing one before it; the connection is given up");
            }
        }
        if (!command.equals("RSET") && !command.equals("QUIT")) {
            // what was written ahead may have opened a transaction
            super.sendCommand("RSET");
            readServerResponse();
        }
        super.sendCommand(command);
    }

    @Override
    public synchronized void close() throws MessagingException {
        // QUIT need not wait for the replies of a group the connection is given up in
        ahead.clear();
        super.close();
    }
}
