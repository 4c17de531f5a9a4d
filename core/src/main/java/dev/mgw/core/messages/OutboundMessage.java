package dev.mgw.core.messages;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A message claimed for delivery: everything needed to render and send it but its attachments
 * ({@link Attachments} reads those when {@code attachmentCount} says there are any), and the
 * attempt number this claim gave it (which fences the outcome: only this attempt may record it).
 * A {@code submitted} message came over SMTP: its MIME is relayed as the client sent it
 * ({@link dev.mgw.core.submission.SubmittedMimes} reads it), and {@code headers} holds at most its
 * own {@code Message-ID}.
 *
 * @param settled recipients an earlier attempt settled: not sent to again
 */
public record OutboundMessage(UUID id,
                              UUID keyId,
                              int attempt,
                              EmailAddress.Mailbox from,
                              Optional<EmailAddress.Mailbox> replyTo,
                              List<String> to,
                              List<String> cc,
                              List<String> bcc,
                              String subject,
                              Optional<String> textBody,
                              Optional<String> htmlBody,
                              Map<String, String> headers,
                              Instant createdAt,
                              Optional<String> requestId,
                              Optional<String> lastError,
                              int attachmentCount,
                              List<String> settled,
                              boolean submitted) {

    /** The header a submitted message's own Message-ID is kept under. */
    public static final String SUBMITTED_MESSAGE_ID = "Message-ID";

    /** Every envelope recipient: to, cc and bcc (bcc only ever on the envelope). */
    public List<String> envelopeRecipients() {
        return java.util.stream.Stream.of(to, cc, bcc).flatMap(List::stream).toList();
    }

    /**
     * The recipients this attempt sends to: every envelope recipient but those an earlier attempt
     * settled (the relay took the message for them, or refused them for good).
     */
    public List<String> pendingRecipients() {
        if (settled.isEmpty()) {
            return envelopeRecipients();
        }
        java.util.Set<String> done = java.util.Set.copyOf(settled);
        return envelopeRecipients().stream().filter(recipient -> !done.contains(recipient)).toList();
    }

    /**
     * The Message-ID, fixed by the accept (the same on every attempt, and on a duplicate after a
     * crash): the message id at the sender's domain, or the one a submitted message came with.
     */
    public String messageIdHeader() {
        String submittedId = headers.get(SUBMITTED_MESSAGE_ID);
        return submittedId != null ? submittedId : "<" + id + "@" + from.address().domain() + ">";
    }

    @Override
    public String toString() {
        return "OutboundMessage[" + id + ", attempt " + attempt + "]";
    }
}
