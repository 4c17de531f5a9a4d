package dev.mgw.server.submission;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import dev.mgw.core.db.DatabaseBusyException;
import dev.mgw.core.db.DatabaseUnavailableException;
import dev.mgw.core.messages.Acceptance;
import dev.mgw.core.messages.EmailAddress;
import dev.mgw.core.messages.Outbox;
import dev.mgw.core.messages.Submission;
import dev.mgw.core.quota.Charge;
import dev.mgw.core.submission.RawMime;
import dev.mgw.server.api.ApiService;
import dev.mgw.server.api.BodyBudget;
import dev.mgw.server.api.Problem;
import dev.mgw.server.auth.Caller;
import dev.mgw.server.observe.LogContext;

import org.subethamail.smtp.DropConnectionException;
import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.RejectException;

/**
 * One mail transaction of an authenticated connection (SPEC §13): {@code MAIL FROM} and each
 * {@code RCPT TO} checked as they come, then at the end of DATA one transaction that charges the
 * quota for the accepted recipients and stores the message with its MIME ({@link Outbox}); the
 * client hears {@code 250 2.0.0 Ok: queued as <id>} only after the commit. The DATA bytes are held
 * within the {@link BodyBudget} the HTTP request bodies share.
 */
final class MessageSubmission implements MessageHandler {
    static final int MAX_RECIPIENTS = 50;
    private static final int CHUNK = 8192;
    private static final System.Logger ACCESS = System.getLogger("dev.mgw.access");

    private final Listener listener;
    private final MessageContext context;
    private final Caller caller;
    private final long startedNanos = System.nanoTime();
    private final List<EmailAddress> recipients = new ArrayList<>();
    private final Set<String> seen = new HashSet<>();
    private String envelopeFrom;
    private boolean dataRead;

    MessageSubmission(Listener listener, MessageContext context) {
        this.listener = listener;
        this.context = context;
        this.caller = KeyAuthentication.caller(context);
    }

    /** What a transaction needs of the listener: settings, the outbox, and where to report. */
    interface Listener {
        Set<String> allowedFromDomains();

        Set<String> allowDomains();

        long maxMessageSize();

        SuppressionCheck suppressions();

        Outbox outbox();

        BodyBudget bodyBudget();

        Clock clock();

        Sessions sessions();

        ApiService.SendListener sends();
    }

    @Override
    public void from(String from) throws RejectException {
        if (!listener.sessions().begin(context.getSessionId())) {
            throw new DropConnectionException(421, "4.7.0 Too many messages on one connection (at most "
                                                   + Sessions.MAX_MESSAGES + "); reconnect to send more");
        }
        EmailAddress sender;
        try {
            sender = EmailAddress.parse(from, false);
        } catch (IllegalArgumentException e) {
            throw new RejectException(553, "5.7.1 MAIL FROM <" + from + "> is not an address this gateway sends from");
        }
        if (!listener.allowedFromDomains().contains(sender.domain())) {
            throw new RejectException(553, "5.7.1 Sender domain " + sender.domain() + " is not allowed here");
        }
        envelopeFrom = sender.address();
    }

    @Override
    public void recipient(String recipient) throws RejectException {
        EmailAddress address;
        try {
            address = EmailAddress.parse(recipient);
        } catch (IllegalArgumentException e) {
            throw new RejectException(553, "5.1.3 <" + recipient + "> is not a valid recipient address");
        }
        if (!seen.contains(address.address().toLowerCase(Locale.ROOT)) && recipients.size() >= MAX_RECIPIENTS) {
            throw new RejectException(452, "4.5.3 Too many recipients (at most " + MAX_RECIPIENTS + " a message)");
        }
        Set<String> allowDomains = listener.allowDomains();
        if (!allowDomains.isEmpty() && !allowDomains.contains(address.domain())) {
            throw new RejectException(550, "5.7.1 Recipient domain " + address.domain() + " is not allowed here");
        }
        if (!caller.key().allowsRecipient(address)) {
            throw new RejectException(550, "5.7.1 This key may not send to " + address.address());
        }
        if (suppressed(address)) {
            throw new RejectException(550, "5.1.1 " + address.address() + " is on the suppression list");
        }
        if (seen.add(address.address().toLowerCase(Locale.ROOT))) {
            recipients.add(address);
        }
    }

    /** The suppression check; the database being down is a temporary refusal of this recipient. */
    private boolean suppressed(EmailAddress address) throws RejectException {
        try {
            return listener.suppressions().suppressed(caller.keyId(), address);
        } catch (DatabaseUnavailableException | DatabaseBusyException e) {
            throw new RejectException(451, "4.3.0 The gateway cannot check recipients right now; try again later");
        }
    }

    @Override
    public String data(InputStream data) throws RejectException, IOException {
        dataRead = true;
        int code = 250;
        LogContext.put("api_key_id", caller.keyId());
        try (BodyBudget.Reservation room = listener.bodyBudget().reserve()) {
            byte[] content = read(data, room);
            SubmittedMessage submitted = SubmittedMessage.read(content, envelopeFrom, recipients,
                                                               listener.allowedFromDomains());
            String requestId = "smtp-" + context.getSessionId();
            Acceptance acceptance = listener.outbox().accept(new Submission(
                    caller.keyId(), caller.keyHash(), submitted.message(), requestId, submitted.idempotency(),
                    Optional.of(new RawMime(envelopeFrom, content))));
            return switch (acceptance) {
                case Acceptance.Accepted accepted -> {
                    listener.sessions().accepted(context.getSessionId());
                    listener.sends().accepted(accepted.id(), recipients.size() - accepted.suppressed().size());
                    LogContext.put("message_id", accepted.id());
                    yield "2.0.0 Ok: queued as " + accepted.id();
                }
                case Acceptance.Replayed replayed -> {
                    LogContext.put("message_id", replayed.id());
                    yield "2.0.0 Ok: queued as " + replayed.id();
                }
                case Acceptance.AllSuppressed all ->
                        throw new RejectException(550, "5.1.1 Every recipient is on the suppression list: "
                                                       + String.join(", ", all.suppressed()));
                case Acceptance.OverQuota over -> {
                    listener.sends().overQuota();
                    throw new RejectException(450, "4.7.1 Daily quota of " + over.standing().limit()
                                                   + " recipients reached; it resets at "
                                                   + Charge.resetTime(listener.clock()));
                }
                case Acceptance.KeyInvalid invalid ->
                        throw new RejectException(535, "5.7.8 The API key is no longer valid");
                case Acceptance.IdempotencyMismatch mismatch ->
                        throw new RejectException(554, "5.7.0 " + SubmittedMessage.IDEMPOTENCY_HEADER
                                                       + " was used for a different message");
                case Acceptance.IdempotencyInFlight inFlight ->
                        throw new RejectException(451, "4.7.0 The same " + SubmittedMessage.IDEMPOTENCY_HEADER
                                                       + " is in use by another submission; try again");
            };
        } catch (SubmittedMessage.Refused refused) {
            code = refused.code;
            throw new RejectException(refused.code, refused.getMessage());
        } catch (RejectException e) {
            code = e.getCode();
            throw e;
        } catch (DatabaseUnavailableException | DatabaseBusyException e) {
            code = 451;
            throw new RejectException(451, "4.3.0 The gateway cannot store messages right now; try again later");
        } finally {
            log(code);
        }
    }

    /**
     * The DATA bytes, within {@code MAX_REQUEST_SIZE} ({@code 552 5.3.4}) and the room the body
     * budget gives ({@code 452 4.3.1}); a refused message is read to its end, so that the
     * connection stays in step.
     */
    private byte[] read(InputStream data, BodyBudget.Reservation room) throws IOException, RejectException {
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        byte[] chunk = new byte[CHUNK];
        long max = listener.maxMessageSize();
        for (int n = data.read(chunk); n >= 0; n = data.read(chunk)) {
            if (content.size() + (long) n > max) {
                data.transferTo(OutputStream.nullOutputStream());
                throw new RejectException(552, "5.3.4 Message larger than " + max + " bytes (MAX_REQUEST_SIZE)");
            }
            try {
                room.cover(content.size() + (long) n);
            } catch (Problem busy) {
                data.transferTo(OutputStream.nullOutputStream());
                throw new RejectException(452, "4.3.1 Too many messages in progress; try again shortly");
            }
            content.write(chunk, 0, n);
        }
        return content.toByteArray();
    }

    /** One access line per message (no key, no addresses, no content). */
    private void log(int code) {
        LogContext.put("method", "DATA");
        LogContext.put("route", "smtp");
        LogContext.put("status", code);
        LogContext.put("recipients", recipients.size());
        LogContext.put("duration_ms", Math.round((System.nanoTime() - startedNanos) / 1000.0) / 1000.0);
        LogContext.put("remote", KeyAuthentication.clientAddress(context));
        ACCESS.log(System.Logger.Level.INFO, "smtp message");
        LogContext.clear();
    }

    /** Whether DATA reached this transaction: its end, accepted or not, ends the transaction. */
    boolean dataRead() {
        return dataRead;
    }

    @Override
    public void done() {
    }
}
