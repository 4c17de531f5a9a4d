package dev.mgw.server.delivery;

import java.io.UnsupportedEncodingException;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.Map;

import dev.mgw.core.messages.EmailAddress;
import dev.mgw.core.messages.OutboundMessage;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.internet.MimeUtility;
import org.eclipse.angus.mail.smtp.SMTPMessage;

/**
 * Renders a stored message as MIME: UTF-8 throughout, RFC 2047 subject and display names,
 * {@code multipart/alternative} when both bodies are given, the Message-ID fixed at accept
 * time, {@code Date} = the accept time, the allowed custom headers. Bcc is never a header: it
 * only reaches the envelope.
 */
final class MailRenderer {
    private static final String UTF_8 = StandardCharsets.UTF_8.name();

    private final Session session;

    MailRenderer(Session session) {
        this.session = session;
    }

    MimeMessage render(OutboundMessage message) throws MessagingException {
        FixedIdMessage mime = new FixedIdMessage(session, message.messageIdHeader());
        mime.setEnvelopeFrom(message.from().address().address());
        mime.setFrom(address(message.from()));
        mime.setRecipients(MimeMessage.RecipientType.TO, addresses(message.to()));
        if (!message.cc().isEmpty()) {
            mime.setRecipients(MimeMessage.RecipientType.CC, addresses(message.cc()));
        }
        if (message.replyTo().isPresent()) {
            mime.setReplyTo(new InternetAddress[] {address(message.replyTo().get())});
        }
        mime.setSubject(message.subject(), UTF_8);
        mime.setSentDate(Date.from(message.createdAt()));
        for (Map.Entry<String, String> header : message.headers().entrySet()) {
            mime.setHeader(header.getKey(), headerValue(header.getKey(), header.getValue()));
        }
        if (message.textBody().isPresent() && message.htmlBody().isPresent()) {
            MimeMultipart alternative = new MimeMultipart("alternative");
            MimeBodyPart text = new MimeBodyPart();
            text.setText(message.textBody().get(), UTF_8, "plain");
            MimeBodyPart html = new MimeBodyPart();
            html.setText(message.htmlBody().get(), UTF_8, "html");
            alternative.addBodyPart(text);
            alternative.addBodyPart(html);
            mime.setContent(alternative);
        } else if (message.htmlBody().isPresent()) {
            mime.setText(message.htmlBody().get(), UTF_8, "html");
        } else {
            mime.setText(message.textBody().orElse(""), UTF_8, "plain");
        }
        mime.saveChanges();
        return mime;
    }

    /** The envelope: to, cc and bcc. */
    static InternetAddress[] envelope(OutboundMessage message) throws MessagingException {
        return addresses(message.envelopeRecipients());
    }

    private static InternetAddress address(EmailAddress.Mailbox mailbox) throws MessagingException {
        try {
            return mailbox.name().isPresent()
                    ? new InternetAddress(mailbox.address().address(), mailbox.name().get(), UTF_8)
                    : new InternetAddress(mailbox.address().address(), true);
        } catch (UnsupportedEncodingException e) {
            throw new MessagingException("UTF-8 is always supported", e);
        }
    }

    private static InternetAddress[] addresses(java.util.List<String> addresses) throws MessagingException {
        InternetAddress[] result = new InternetAddress[addresses.size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = new InternetAddress(addresses.get(i), true);
        }
        return result;
    }

    /** Non-ASCII header values as RFC 2047 encoded words, folded to keep lines short. */
    private static String headerValue(String name, String value) throws MessagingException {
        try {
            String encoded = value.chars().allMatch(c -> c < 128) ? value : MimeUtility.encodeText(value, UTF_8, "Q");
            return MimeUtility.fold(name.length() + 2, encoded);
        } catch (UnsupportedEncodingException e) {
            throw new MessagingException("UTF-8 is always supported", e);
        }
    }

    /** Keeps the Message-ID fixed at accept time instead of the one Jakarta Mail would make up. */
    private static final class FixedIdMessage extends SMTPMessage {
        private final String messageId;

        FixedIdMessage(Session session, String messageId) {
            super(session);
            this.messageId = messageId;
        }

        @Override
        protected void updateMessageID() throws MessagingException {
            setHeader("Message-ID", messageId);
        }
    }
}
