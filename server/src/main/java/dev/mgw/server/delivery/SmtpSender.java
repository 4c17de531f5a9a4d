package dev.mgw.server.delivery;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.mgw.core.config.GatewayConfig;
import dev.mgw.core.messages.OutboundMessage;

import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPTransport;

/**
 * One worker's SMTP connection (Angus Mail): opened on first use, reused across messages,
 * reopened after an error or after sitting idle. A reused connection that turns out dead is
 * reopened and the message tried once more at once, without counting a failed attempt.
 */
final class SmtpSender implements MailSender {
    private static final long MAX_IDLE_NANOS = 30_000_000_000L;
    private static final int MAX_ERROR = 1000;

    private final Session session;
    private final GatewayConfig.Smtp settings;
    private final MailRenderer renderer;
    private final SmtpHealth health;
    private SMTPTransport transport;
    private long lastUsedNanos;
    private boolean connectionLost;

    SmtpSender(Session session, GatewayConfig.Smtp settings, MailRenderer renderer, SmtpHealth health) {
        this.session = session;
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
        boolean reused = transport != null && System.nanoTime() - lastUsedNanos < MAX_IDLE_NANOS;
        connectionLost = false;
        SendResult result = attempt(mime, envelope, reused);
        if (reused && connectionLost) {
            // the reused connection had died (the relay timed it out, restarted): a fresh one decides
            result = attempt(mime, envelope, false);
        }
        return result;
    }

    private SendResult attempt(MimeMessage mime, InternetAddress[] envelope, boolean reuse) {
        if (!reuse) {
            close();
            try {
                transport = (SMTPTransport) session.getTransport(settings.ssl() ? "smtps" : "smtp");
                transport.connect(settings.host().orElseThrow(), settings.port(), settings.username().orElse(null),
                                  settings.username().isPresent() ? settings.password().reveal() : null);
                health.connected();
            } catch (AuthenticationFailedException e) {
                health.connectionFailed();
                close();
                return new SendResult.Transient("login to the relay failed: " + describe(e));
            } catch (MessagingException | RuntimeException e) {
                health.connectionFailed();
                close();
                return new SendResult.Transient("cannot connect to the relay: " + describe(e));
            }
        }
        try {
            transport.sendMessage(mime, envelope);
            lastUsedNanos = System.nanoTime();
            return new SendResult.Delivered(reply(), Optional.empty());
        } catch (SMTPSendFailedException e) {
            return sendFailed(e);
        } catch (SendFailedException e) {
            lastUsedNanos = System.nanoTime();
            return recipientsRefused(e);
        } catch (MessagingException | RuntimeException e) {
            close();
            connectionLost = true;
            return new SendResult.Transient("sending failed: " + describe(e));
        }
    }

    /** Refused at MAIL FROM or DATA, or taken for some recipients only. */
    private SendResult sendFailed(SMTPSendFailedException e) {
        lastUsedNanos = System.nanoTime();
        if (e.getValidSentAddresses() != null && e.getValidSentAddresses().length > 0) {
            return new SendResult.Delivered(reply(), Optional.of("refused: " + refusals(e)));
        }
        int code = e.getReturnCode();
        String error = limit(e.getMessage() == null ? String.valueOf(code) : e.getMessage().strip());
        if (code >= 500) {
            return new SendResult.Permanent(error);
        }
        close();
        return new SendResult.Transient(error);
    }

    /** No recipient taken: permanent only when every refusal was permanent. */
    private SendResult recipientsRefused(SendFailedException e) {
        List<SMTPAddressFailedException> refusals = addressFailures(e);
        String error = "every recipient refused: " + refusals(e);
        boolean temporary = refusals.isEmpty() || refusals.stream().anyMatch(r -> r.getReturnCode() < 500);
        close();
        return temporary ? new SendResult.Transient(error) : new SendResult.Permanent(error);
    }

    private static List<SMTPAddressFailedException> addressFailures(MessagingException e) {
        List<SMTPAddressFailedException> failures = new ArrayList<>();
        Exception next = e;
        while (next instanceof MessagingException m) {
            if (m instanceof SMTPAddressFailedException failure) {
                failures.add(failure);
            }
            next = m.getNextException();
        }
        return failures;
    }

    private static String refusals(MessagingException e) {
        List<String> parts = new ArrayList<>();
        for (SMTPAddressFailedException failure : addressFailures(e)) {
            parts.add(failure.getAddress().getAddress() + " (" + failure.getMessage().strip() + ")");
        }
        return limit(parts.isEmpty() ? String.valueOf(e.getMessage()) : String.join("; ", parts));
    }

    private String reply() {
        String reply = transport.getLastServerResponse();
        return reply == null ? "250" : reply.strip();
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
}
