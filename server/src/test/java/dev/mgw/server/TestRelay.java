package dev.mgw.server;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import com.icegreen.greenmail.imap.ImapHostManager;
import com.icegreen.greenmail.mail.MailAddress;
import com.icegreen.greenmail.smtp.SmtpManager;
import com.icegreen.greenmail.smtp.SmtpState;
import com.icegreen.greenmail.user.UserManager;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import com.icegreen.greenmail.Managers;

import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;

/**
 * GreenMail as the relay, with the answers a real relay gives on a bad day: 451 at the end of
 * DATA for the next n messages, a 5xx or 4xx for chosen recipients, AUTH required, slow answers
 * to RCPT TO and to the end of DATA for chosen recipient domains. It records every transaction's
 * envelope (what bcc really reaches), every recipient and every Message-ID it was offered,
 * accepted or not.
 */
public final class TestRelay implements AutoCloseable {
    private final AtomicInteger dataFailures = new AtomicInteger();
    private final Map<String, String> recipientReplies = new ConcurrentHashMap<>();
    private final List<Envelope> envelopes = new CopyOnWriteArrayList<>();
    private final List<String> offeredMessageIds = new CopyOnWriteArrayList<>();
    private final List<String> offeredRecipients = new CopyOnWriteArrayList<>();
    private final Map<String, Duration> recipientDelays = new ConcurrentHashMap<>();
    private final Map<String, Duration> dataDelays = new ConcurrentHashMap<>();
    private volatile boolean authRequired;
    private final GreenMail greenMail;

    /** One accepted SMTP transaction. */
    public record Envelope(String messageId, String sender, List<String> recipients, boolean authenticated) {
    }

    public TestRelay() {
        greenMail = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP)) {
            {
                managers = new ScriptedManagers();
            }
        };
        greenMail.start();
    }

    public int port() {
        return greenMail.getSmtp().getPort();
    }

    /** The next {@code n} messages get {@code 451} after their data. */
    public void failData(int n) {
        dataFailures.set(n);
    }

    /** RCPT TO this address gets the reply (e.g. {@code 550 5.1.1 <x>: user unknown}). */
    public void refuseRecipient(String address, String reply) {
        recipientReplies.put(address.toLowerCase(), reply);
    }

    /** Takes this recipient again. */
    public void acceptRecipient(String address) {
        recipientReplies.remove(address.toLowerCase());
    }

    /** RCPT TO an address at this domain is answered only after {@code delay}. */
    public void delayRecipients(String domain, Duration delay) {
        recipientDelays.put(domain.toLowerCase(), delay);
    }

    /** The end of DATA of a message with a recipient at this domain is answered only after {@code delay}. */
    public void delayData(String domain, Duration delay) {
        dataDelays.put(domain.toLowerCase(), delay);
    }

    /** Requires AUTH with these credentials before MAIL FROM. */
    public void requireAuth(String user, String password) {
        greenMail.setUser(user, password);
        authRequired = true;
    }

    public List<Envelope> envelopes() {
        return envelopes;
    }

    public List<String> offeredMessageIds() {
        return offeredMessageIds;
    }

    /** Every RCPT TO address, in the order offered (before any delay). */
    public List<String> offeredRecipients() {
        return offeredRecipients;
    }

    public MimeMessage[] received() {
        return greenMail.getReceivedMessages();
    }

    /** Waits until this many messages are stored (one per recipient), or the timeout passes. */
    public boolean waitForMessages(int count, Duration timeout) {
        return greenMail.waitForIncomingEmail(timeout.toMillis(), count);
    }

    @Override
    public void close() {
        greenMail.stop();
    }

    private final class ScriptedManagers extends Managers {
        private final SmtpManager smtp = new ScriptedSmtpManager(getImapHostManager(), getUserManager());

        @Override
        public SmtpManager getSmtpManager() {
            return smtp;
        }
    }

    private final class ScriptedSmtpManager extends SmtpManager {
        ScriptedSmtpManager(ImapHostManager imapHostManager, UserManager userManager) {
            super(imapHostManager, userManager);
        }

        @Override
        public String checkSender(SmtpState state, MailAddress sender) {
            if (authRequired && state.getMessage().getAuthenticationState() == null) {
                return "530 5.7.0 Authentication required";
            }
            return null;
        }

        @Override
        public String checkRecipient(SmtpState state, MailAddress recipient) {
            String address = recipient.getEmail().toLowerCase();
            offeredRecipients.add(address);
            pause(recipientDelays.get(domain(address)));
            return recipientReplies.get(address);
        }

        @Override
        public void send(SmtpState state) {
            String messageId = messageId(state);
            offeredMessageIds.add(messageId);
            state.getMessage().getToAddresses().stream()
                    .map(address -> dataDelays.get(domain(address.getEmail().toLowerCase())))
                    .filter(Objects::nonNull)
                    .max(Comparator.naturalOrder())
                    .ifPresent(ScriptedSmtpManager::pause);
            if (dataFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new IllegalStateException("scripted 451");
            }
            envelopes.add(new Envelope(messageId,
                                       state.getMessage().getReturnPath().getEmail(),
                                       state.getMessage().getToAddresses().stream()
                                               .map(MailAddress::getEmail)
                                               .sorted()
                                               .collect(Collectors.toList()),
                                       state.getMessage().getAuthenticationState() != null));
            synchronized (this) {
                super.send(state);
            }
        }

        private static String domain(String address) {
            return address.substring(address.lastIndexOf('@') + 1);
        }

        /** A slow relay: this connection's answer waits (other connections go on). */
        private static void pause(Duration delay) {
            if (delay == null) {
                return;
            }
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private String messageId(SmtpState state) {
            try {
                return state.getMessage().getMessage().getMessageID();
            } catch (MessagingException e) {
                return null;
            }
        }
    }
}
