package dev.mgw.core.messages;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A validated message, ready to be stored: addresses parsed, recipients distinct across
 * to/cc/bcc, headers from the allow-list, tags as given, attachments decoded.
 *
 * @param headers     custom headers by name, in the order given
 * @param sendAt      the earliest delivery time, if the client asked for one
 * @param attachments in the order given (inline ones among them)
 */
public record NewMessage(EmailAddress.Mailbox from,
                         Optional<EmailAddress.Mailbox> replyTo,
                         List<EmailAddress> to,
                         List<EmailAddress> cc,
                         List<EmailAddress> bcc,
                         String subject,
                         Optional<String> textBody,
                         Optional<String> htmlBody,
                         Map<String, String> headers,
                         Map<String, String> tags,
                         Optional<Instant> sendAt,
                         List<NewAttachment> attachments) {

    public NewMessage {
        to = List.copyOf(to);
        cc = List.copyOf(cc);
        bcc = List.copyOf(bcc);
        headers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(headers));
        tags = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(tags));
        attachments = List.copyOf(attachments);
    }

    /** Every recipient, each once: what the quota charges. */
    public int recipientCount() {
        return to.size() + cc.size() + bcc.size();
    }

    /** Every recipient, each once, in to, cc, bcc order. */
    public List<EmailAddress> recipients() {
        return java.util.stream.Stream.of(to, cc, bcc).flatMap(List::stream).toList();
    }

    /** The same message without the recipients whose lower-cased address is in {@code dropped}. */
    public NewMessage without(java.util.Set<String> dropped) {
        java.util.function.Predicate<EmailAddress> kept =
                address -> !dropped.contains(address.address().toLowerCase(java.util.Locale.ROOT));
        return new NewMessage(from, replyTo, to.stream().filter(kept).toList(), cc.stream().filter(kept).toList(),
                              bcc.stream().filter(kept).toList(), subject, textBody, htmlBody, headers, tags, sendAt,
                              attachments);
    }

    @Override
    public String toString() {
        return "NewMessage[" + recipientCount() + " recipients]";
    }
}
