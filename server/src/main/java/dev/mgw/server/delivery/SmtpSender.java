package dev.mgw.server.delivery;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

import javax.net.SocketFactory;

import dev.mgw.core.config.GatewayConfig;
import dev.mgw.core.messages.OutboundMessage;
import dev.mgw.core.messages.Refusal;
import dev.mgw.core.messages.RelayReply;

import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPMessage;

/**
 * One worker's SMTP connection (Angus Mail): opened on first use, reused across messages,
 * reopened after an error or after sitting idle. A reused connection is checked with {@code RSET}
 * before each message; one that fails the check is reopened and the message goes once, on the new
 * connection. Any later failure is the attempt's outcome, never retried on the spot: once the data
 * went out the relay may have taken the message. The connection's socket comes from this sender's
 * own factory, so that {@link #abort} can close it from another thread while the transport is
 * blocked in a read or write. With a relay that offers PIPELINING, the check and the message's
 * envelope commands go in one segment and their replies come back together
 * ({@link PipeliningTransport}): two round trips per message instead of five.
 */
final class SmtpSender implements MailSender {
    private static final long MAX_IDLE_NANOS = 30_000_000_000L;
    private static final int MAX_ERROR = 1000;

    private final Session session;
    private final GatewayConfig.Smtp settings;
    private final MailRenderer renderer;
    private final SmtpHealth health;
    private PipeliningTransport transport;
    private long lastUsedNanos;
    private volatile GroupingSocket socket;

    /** {@code properties}: the session settings of {@link Delivery#sessionProperties}. */
    SmtpSender(Properties properties, GatewayConfig.Smtp settings, MailRenderer renderer, SmtpHealth health) {
        Properties own = new Properties();
        own.putAll(properties);
        String prefix = "mail." + protocol(settings) + ".";
        own.put(prefix + "socketFactory", new Sockets());
        own.setProperty(prefix + "socketFactory.fallback", "false");
        own.put(prefix + "executor.writetimeout", WriteTimeouts.SHARED);
        this.session = Session.getInstance(own);
        this.settings = settings;
        this.renderer = renderer;
        this.health = health;
    }

    @Override
    public SendResult send(OutboundMessage message) {
        MimeMessage mime;
        InternetAddress[] envelope;
        try {
            mime = renderer.render(message);
            envelope = MailRenderer.envelope(message);
        } catch (MessagingException | RuntimeException e) {
            return MailRenderer.renderFailed(e);
        }
        List<String> group = envelopeCommands(mime, envelope);
        boolean reusable = transport != null && System.nanoTime() - lastUsedNanos < MAX_IDLE_NANOS && reset(group);
        if (!reusable) {
            Optional<SendResult> failure = connect();
            if (failure.isPresent()) {
                return failure.get();
            }
            if (transport.pipelining() && !group.isEmpty()) {
                try {
                    writeAhead(group);
                } catch (MessagingException | RuntimeException e) {
                    close();
                    return new SendResult.Transient("sending failed: " + describe(e));
                }
            }
        }
        return transmit(mime, envelope);
    }

    /** Closes the connection in use, from any thread: the send in progress fails at once. */
    @Override
    public void abort() {
        Socket current = socket;
        if (current != null) {
            try {
                current.close();
            } catch (IOException ignored) {
                // closed either way
            }
        }
    }

    /**
     * {@code RSET} on the reused connection: whether it still works. With a relay that pipelines,
     * the message's envelope commands go with it, written ahead ({@code simpleCommand} then only
     * reads the reply, and Angus Mail the others as it issues them); a connection that fails the
     * check is closed with them unanswered, and nothing was sent: the data goes only after
     * {@code DATA}'s 354.
     */
    private boolean reset(List<String> group) {
        try {
            if (transport.pipelining() && !group.isEmpty()) {
                List<String> commands = new ArrayList<>(group.size() + 1);
                commands.add("RSET");
                commands.addAll(group);
                writeAhead(commands);
            }
            return transport.simpleCommand("RSET") == 250;
        } catch (MessagingException | RuntimeException e) {
            return false;
        }
    }

    /** Writes a group of commands ahead in one segment (see {@link GroupingSocket}). */
    private void writeAhead(List<String> commands) throws MessagingException {
        GroupingSocket grouping = socket;
        grouping.hold();
        boolean written = false;
        try {
            transport.writeAhead(commands.subList(0, commands.size() - 1));
            written = true;
        } finally {
            grouping.release(!written);
        }
        transport.writeAhead(commands.subList(commands.size() - 1, commands.size()));
    }

    /**
     * The commands Angus Mail issues for this message before its data, as it words them with this
     * gateway's session settings ({@code MAIL FROM} the envelope sender, a {@code RCPT TO} per
     * recipient, {@code DATA}); none when the message has no envelope sender of its own (Angus Mail
     * would then take another), so that what is written ahead is always what Angus Mail issues.
     */
    private static List<String> envelopeCommands(MimeMessage mime, InternetAddress[] envelope) {
        if (!(mime instanceof SMTPMessage smtp) || smtp.getEnvelopeFrom() == null || smtp.getEnvelopeFrom().isEmpty()
            || envelope.length == 0) {
            return List.of();
        }
        List<String> commands = new ArrayList<>(envelope.length + 2);
        commands.add("MAIL FROM:" + angle(smtp.getEnvelopeFrom()));
        for (InternetAddress recipient : envelope) {
            commands.add("RCPT TO:" + angle(recipient.getAddress()));
        }
        commands.add("DATA");
        return commands;
    }

    /** An address in angle brackets, as Angus Mail puts it in a command. */
    private static String angle(String address) {
        return address.startsWith("<") || address.endsWith(">") ? address : "<" + address + ">";
    }

    /** Opens a fresh connection; a failure to do so is the attempt's outcome. */
    private Optional<SendResult> connect() {
        close();
        try {
            transport = new PipeliningTransport(session, settings);
            transport.connect(settings.host().orElseThrow(), settings.port(), settings.username().orElse(null),
                              settings.username().isPresent() ? settings.password().reveal() : null);
            health.connected();
            return Optional.empty();
        } catch (AuthenticationFailedException e) {
            health.connectionFailed();
            close();
            return Optional.of(new SendResult.Transient("login to the relay failed: " + describe(e)));
        } catch (MessagingException | RuntimeException e) {
            health.connectionFailed();
            close();
            return Optional.of(new SendResult.Transient("cannot connect to the relay: " + describe(e)));
        }
    }

    private SendResult transmit(MimeMessage mime, InternetAddress[] envelope) {
        try {
            transport.sendMessage(mime, envelope);
            lastUsedNanos = System.nanoTime();
            return new SendResult.Delivered(reply(), addresses(envelope), List.of());
        } catch (SMTPSendFailedException e) {
            return sendFailed(e);
        } catch (SendFailedException e) {
            lastUsedNanos = System.nanoTime();
            return recipientsRefused(e);
        } catch (MessagingException | RuntimeException e) {
            close();
            return new SendResult.Transient("sending failed: " + describe(e));
        }
    }

    /** Refused at MAIL FROM or DATA, or taken for some recipients only. */
    private SendResult sendFailed(SMTPSendFailedException e) {
        lastUsedNanos = System.nanoTime();
        if (e.getValidSentAddresses() != null && e.getValidSentAddresses().length > 0) {
            return new SendResult.Delivered(reply(), addresses(e.getValidSentAddresses()), refusals(e));
        }
        int code = e.getReturnCode();
        String error = limit(e.getMessage() == null ? String.valueOf(code) : e.getMessage().strip());
        Optional<RelayReply> reply = code > 0 ? Optional.of(new RelayReply(code, error)) : Optional.empty();
        if (code >= 500) {
            return new SendResult.Permanent(error, reply, List.of());
        }
        close();
        return new SendResult.Transient(error, reply, List.of());
    }

    /** No recipient taken: permanent only when every refusal was permanent. */
    private SendResult recipientsRefused(SendFailedException e) {
        List<Refusal> refusals = refusals(e);
        String error = "every recipient refused: " + describeRefusals(e, refusals);
        boolean temporary = refusals.isEmpty() || refusals.stream().anyMatch(r -> !r.permanent());
        close();
        return temporary ? new SendResult.Transient(error, Optional.empty(), refusals)
                : new SendResult.Permanent(error, Optional.empty(), refusals);
    }

    /** Each recipient's refusal at RCPT TO, from the exception chain Angus Mail builds with {@code sendpartial}. */
    private static List<Refusal> refusals(MessagingException e) {
        List<Refusal> refusals = new ArrayList<>();
        Exception next = e;
        while (next instanceof MessagingException m) {
            if (m instanceof SMTPAddressFailedException failure) {
                String text = failure.getMessage() == null ? String.valueOf(failure.getReturnCode())
                        : failure.getMessage().strip();
                refusals.add(new Refusal(failure.getAddress().getAddress(),
                                         new RelayReply(failure.getReturnCode(), limit(text))));
            }
            next = m.getNextException();
        }
        return refusals;
    }

    private static String describeRefusals(MessagingException e, List<Refusal> refusals) {
        List<String> parts = new ArrayList<>();
        for (Refusal refusal : refusals) {
            parts.add(refusal.recipient() + " (" + refusal.reply().text() + ")");
        }
        return limit(parts.isEmpty() ? String.valueOf(e.getMessage()) : String.join("; ", parts));
    }

    private static List<String> addresses(jakarta.mail.Address[] addresses) {
        List<String> list = new ArrayList<>(addresses.length);
        for (jakarta.mail.Address address : addresses) {
            list.add(((InternetAddress) address).getAddress());
        }
        return list;
    }

    private RelayReply reply() {
        String reply = transport.getLastServerResponse();
        int code = transport.getLastReturnCode();
        return new RelayReply(code > 0 ? code : 250, reply == null ? "250" : limit(reply.strip()));
    }

    private static String describe(Exception e) {
        StringBuilder text = new StringBuilder(String.valueOf(e.getMessage()).strip());
        Throwable cause = e.getCause() != null ? e.getCause()
                : e instanceof MessagingException m ? m.getNextException() : null;
        if (cause instanceof IOException && cause.getMessage() != null && !text.toString().contains(cause.getMessage())) {
            text.append(" (").append(cause.getMessage()).append(')');
        }
        return limit(text.toString());
    }

    private static String limit(String text) {
        return text.length() <= MAX_ERROR ? text : text.substring(0, MAX_ERROR) + "…";
    }

    @Override
    public String transport() {
        return "smtp";
    }

    /** {@code smtps} with TLS from the start, else {@code smtp}: Angus Mail's protocol, and its settings' prefix. */
    static String protocol(GatewayConfig.Smtp settings) {
        return settings.ssl() ? "smtps" : "smtp";
    }

    @Override
    public void close() {
        if (transport != null) {
            try {
                transport.close();
            } catch (MessagingException | RuntimeException ignored) {
                // the connection is gone either way
            }
            transport = null;
        }
    }

    /**
     * Angus Mail connects the sockets it takes from here (and layers TLS over them); the latest
     * is the one {@link #abort} closes.
     */
    private final class Sockets extends SocketFactory {
        @Override
        public Socket createSocket() {
            GroupingSocket created = new GroupingSocket();
            socket = created;
            return created;
        }

        @Override
        public Socket createSocket(String host, int port) throws SocketException {
            throw connectedSockets();
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws SocketException {
            throw connectedSockets();
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws SocketException {
            throw connectedSockets();
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
                throws SocketException {
            throw connectedSockets();
        }

        private static SocketException connectedSockets() {
            return new SocketException("only unconnected sockets: Angus Mail connects them itself");
        }
    }
}
