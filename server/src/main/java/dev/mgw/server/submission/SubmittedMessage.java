package dev.mgw.server.submission;

import java.io.ByteArrayInputStream;
import java.io.UnsupportedEncodingException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import dev.mgw.core.Hashes;
import dev.mgw.core.messages.EmailAddress;
import dev.mgw.core.messages.NewMessage;
import dev.mgw.core.messages.OutboundMessage;
import dev.mgw.core.messages.Submission;

import jakarta.mail.MessagingException;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeUtility;

/**
 * What the gateway keeps of a submitted message besides its MIME: sender, subject and recipients
 * read from its headers (for the message API and {@code mgw}), the recipients split by where the
 * headers name them (those named nowhere are Bcc), its own Message-ID, and its
 * {@code X-Idempotency-Key}. The recipients are exactly the accepted {@code RCPT TO}s: the quota
 * charges them and delivery sends to them.
 */
record SubmittedMessage(NewMessage message, Optional<Submission.Idempotency> idempotency) {
    static final String IDEMPOTENCY_HEADER = "X-Idempotency-Key";

    /** Why a submitted message is refused after DATA: the reply, e.g. {@code 553 5.7.1 …}. */
    static final class Refused extends Exception {
        final int code;

        Refused(int code, String message) {
            super(message, null, false, false);
            this.code = code;
        }
    }

    /**
     * Reads the header section of {@code content}; {@code allowedFrom} are the domains the From:
     * address may have.
     */
    static SubmittedMessage read(byte[] content, String envelopeFrom, List<EmailAddress> recipients,
                                 Set<String> allowedFrom) throws Refused {
        InternetHeaders headers;
        try {
            headers = new InternetHeaders(new ByteArrayInputStream(content));
        } catch (MessagingException e) {
            throw new Refused(554, "5.6.0 Cannot read the message headers");
        }
        EmailAddress.Mailbox from = from(headers.getHeader("From", ","));
        if (!allowedFrom.contains(from.address().domain())) {
            throw new Refused(553, "5.7.1 From: " + from.address().address() + " is not in an allowed sender domain");
        }
        Set<String> to = named(headers.getHeader("To", ","));
        Set<String> cc = named(headers.getHeader("Cc", ","));
        List<EmailAddress> toList = new ArrayList<>();
        List<EmailAddress> ccList = new ArrayList<>();
        List<EmailAddress> bccList = new ArrayList<>();
        for (EmailAddress recipient : recipients) {
            String key = recipient.address().toLowerCase(Locale.ROOT);
            (to.contains(key) ? toList : cc.contains(key) ? ccList : bccList).add(recipient);
        }
        Map<String, String> own = Optional.ofNullable(headers.getHeader("Message-ID", null))
                .map(String::strip)
                .filter(id -> !id.isEmpty())
                .map(id -> Map.of(OutboundMessage.SUBMITTED_MESSAGE_ID, id))
                .orElse(Map.of());
        NewMessage message = new NewMessage(from, Optional.empty(), toList, ccList, bccList,
                                            subject(headers.getHeader("Subject", null)), Optional.empty(),
                                            Optional.empty(), own, Map.of(), Optional.empty(), List.of());
        return new SubmittedMessage(message, idempotency(headers.getHeader(IDEMPOTENCY_HEADER, null), content,
                                                         envelopeFrom, recipients));
    }

    private static EmailAddress.Mailbox from(String header) throws Refused {
        if (header == null) {
            throw new Refused(553, "5.7.1 The message has no From: header");
        }
        try {
            InternetAddress[] addresses = InternetAddress.parseHeader(header, false);
            if (addresses.length != 1) {
                throw new Refused(553, "5.7.1 From: must name exactly one address");
            }
            EmailAddress address = EmailAddress.parse(addresses[0].getAddress(), false);
            return new EmailAddress.Mailbox(Optional.ofNullable(addresses[0].getPersonal()).filter(n -> !n.isBlank()),
                                            address);
        } catch (AddressException | IllegalArgumentException e) {
            throw new Refused(553, "5.7.1 From: is not a valid address");
        }
    }

    /** The lower-cased addresses a To: or Cc: header names (none when it cannot be read). */
    private static Set<String> named(String header) {
        Set<String> addresses = new TreeSet<>();
        if (header == null) {
            return addresses;
        }
        try {
            for (InternetAddress address : InternetAddress.parseHeader(header, false)) {
                if (address.getAddress() != null) {
                    addresses.add(address.getAddress().toLowerCase(Locale.ROOT));
                }
            }
        } catch (AddressException e) {
            // an unreadable list names nobody: its recipients are kept as Bcc
        }
        return addresses;
    }

    private static String subject(String header) {
        if (header == null) {
            return "";
        }
        try {
            return MimeUtility.decodeText(MimeUtility.unfold(header)).strip();
        } catch (UnsupportedEncodingException e) {
            return MimeUtility.unfold(header).strip();
        }
    }

    /**
     * An {@code X-Idempotency-Key} (the HTTP rules, SPEC §5.2) with the hash of what makes the
     * message the same one: the envelope and the content without its Message-ID, Date and
     * Received lines, which a client or relay may make anew when it retries.
     */
    private static Optional<Submission.Idempotency> idempotency(String key, byte[] content, String envelopeFrom,
                                                                List<EmailAddress> recipients) throws Refused {
        if (key == null) {
            return Optional.empty();
        }
        String value = MimeUtility.unfold(key).strip();
        if (!value.matches("[\\x20-\\x7E]{1,255}")) {
            throw new Refused(554, "5.6.0 " + IDEMPOTENCY_HEADER + " must be 1 to 255 printable ASCII characters");
        }
        MessageDigest digest = Hashes.sha256();
        digest.update((envelopeFrom + "\n").getBytes(StandardCharsets.UTF_8));
        new TreeSet<>(recipients.stream().map(r -> r.address().toLowerCase(Locale.ROOT)).toList())
                .forEach(r -> digest.update((r + "\n").getBytes(StandardCharsets.UTF_8)));
        String text = new String(content, StandardCharsets.ISO_8859_1);
        boolean skipping = false;
        int start = 0;
        boolean inHeaders = true;
        while (start < text.length()) {
            int end = text.indexOf('\n', start);
            end = end < 0 ? text.length() : end + 1;
            String line = text.substring(start, end);
            if (inHeaders) {
                if (line.isBlank()) {
                    inHeaders = false;
                } else if (!Character.isWhitespace(line.charAt(0))) {
                    String name = line.contains(":") ? line.substring(0, line.indexOf(':')).strip().toLowerCase(Locale.ROOT) : "";
                    skipping = Set.of("message-id", "date", "received").contains(name);
                }
                if (!skipping) {
                    digest.update(line.getBytes(StandardCharsets.ISO_8859_1));
                }
            } else {
                digest.update(content, start, text.length() - start);
                break;
            }
            start = end;
        }
        return Optional.of(new Submission.Idempotency(value, HexFormat.of().formatHex(digest.digest())));
    }
}
