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
                              int attachmentCount) {

    /** Every envelope recipient: to, cc and bcc (bcc only ever on the envelope). */
    public List<String> envelopeRecipients() {
        return java.util.stream.Stream.of(to, cc, bcc).flatMap(List::stream).toList();
    }

    /**
     * The Message-ID, fixed by the accept (the same on every attempt, and on a duplicate after a
     * crash): the message id at the sender's domain.
     */
    public String messageIdHeader() {
        return "<" + id + "@" + from.address().domain() + ">";
    }

    @Override
    public String toString() {
        return "OutboundMessage[" + id + ", attempt " + attempt + "]";
    }
}
