package dev.mgw.server.delivery;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UnsupportedEncodingException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

import dev.mgw.core.db.DatabaseBusyException;
import dev.mgw.core.db.DatabaseUnavailableException;
import dev.mgw.core.messages.Attachments;
import dev.mgw.core.messages.EmailAddress;
import dev.mgw.core.messages.OutboundMessage;
import dev.mgw.core.messages.StoredAttachment;
import dev.mgw.core.submission.RawMime;
import dev.mgw.core.submission.SubmittedMimes;

import jakarta.activation.DataHandler;
import jakarta.activation.DataSource;
import jakarta.mail.MessagingException;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.ContentDisposition;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.internet.MimeUtility;
import jakarta.mail.internet.ParameterList;
import org.eclipse.angus.mail.smtp.SMTPMessage;

/**
 * Renders a stored message as MIME: UTF-8 throughout, RFC 2047 subject and display names,
 * {@code multipart/alternative} when both bodies are given, the Message-ID fixed at accept
 * time, {@code Date} = the accept time, the allowed custom headers. Bcc is never a header: it
 * only reaches the envelope. A message submitted over SMTP is relayed as submitted
 * ({@link #relayed}).
 *
 * <p>Attachments (SPEC §6): {@code multipart/mixed} around the bodies and the attachments;
 * inline ones ({@code Content-ID}, {@code Content-Disposition: inline}) in a
 * {@code multipart/related} with the HTML body; file names RFC 2231-encoded when not ASCII.
 * Their bytes are not read here: each part streams its attachment from the database, a slice at
 * a time, while the message is written (to the relay, or in the sandbox to nowhere), so a message
 * costs a slice of memory however large its attachments, and is read again on a second attempt.
 */
final class MailRenderer {
    private static final String UTF_8 = StandardCharsets.UTF_8.name();
    /** RFC 2231 attribute-char: what an encoded parameter value may carry as it is. */
    private static final String ATTRIBUTE_CHARS =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`{|}~";
    private static final int SEGMENT = 60;
    private static final String[] DAYS = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    private static final String[] MONTHS = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                                            "Dec"};
    private static final AtomicLong BOUNDARIES = new AtomicLong();
    private static final byte[] CRLF = {'\r', '\n'};

    private final Session session;
    private final Attachments attachments;
    private final SubmittedMimes submitted;

    MailRenderer(Session session, Attachments attachments, SubmittedMimes submitted) {
        this.session = session;
        this.attachments = attachments;
        this.submitted = submitted;
    }

    MimeMessage render(OutboundMessage message) throws MessagingException {
        if (message.submitted()) {
            return relayed(message);
        }
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
        mime.setHeader("Date", date(message.createdAt()));
        for (Map.Entry<String, String> header : message.headers().entrySet()) {
            mime.setHeader(header.getKey(), headerValue(header.getKey(), header.getValue()));
        }
        if (message.attachmentCount() > 0) {
            withAttachments(mime, message);
            mime.saveChanges();
        } else if (message.textBody().isPresent() && message.htmlBody().isPresent()) {
            mime.saveBody(alternative(text(message.textBody().get(), "plain"), text(message.htmlBody().get(), "html")));
        } else if (message.htmlBody().isPresent()) {
            mime.saveBody(text(message.htmlBody().get(), "html"));
        } else {
            mime.saveBody(text(message.textBody().orElse(""), "plain"));
        }
        return mime;
    }

    /**
     * A body without attachments, as its final bytes and the headers that describe them: a text
     * (UTF-8, in the transfer encoding Jakarta Mail would choose for it) or the alternative of two.
     * Jakarta Mail's own way to the same bytes reads each text twice through the activation
     * framework (once to choose its encoding, once to write it), which made rendering half of what
     * a delivery worker spent per message.
     */
    record Body(String contentType, String encoding, byte[] bytes) {
    }

    /**
     * A text body: {@code text/<subtype>; charset=UTF-8} in the encoding {@link MimeUtility#getEncoding}
     * picks for text (7bit when all ASCII in lines of at most 998 bytes, quoted-printable when
     * mostly ASCII, base64 otherwise), encoded by Jakarta Mail's own encoders.
     */
    static Body text(String text, String subtype) throws MessagingException {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        String encoding = transferEncoding(utf8);
        if (encoding.equals("7bit")) {
            return new Body("text/" + subtype + "; charset=UTF-8", encoding, utf8);
        }
        ByteArrayOutputStream encoded = new ByteArrayOutputStream(utf8.length * 2 + 64);
        try {
            OutputStream encoder = MimeUtility.encode(encoded, encoding);
            encoder.write(utf8);
            encoder.flush();
        } catch (IOException e) {
            throw new MessagingException("cannot encode the body", e);
        }
        return new Body("text/" + subtype + "; charset=UTF-8", encoding, encoded.toByteArray());
    }

    /** As Jakarta Mail's {@code AsciiOutputStream} judges a text: what {@link MimeUtility#getEncoding} picks. */
    private static String transferEncoding(byte[] bytes) {
        int ascii = 0;
        int nonAscii = 0;
        int line = 0;
        boolean longLine = false;
        for (byte value : bytes) {
            int b = value & 0xFF;
            if (b == '\r' || b == '\n') {
                line = 0;
            } else if (++line > 998) {
                longLine = true;
            }
            if (b >= 0x7F || (b < 0x20 && b != '\r' && b != '\n' && b != '\t')) {
                nonAscii++;
            } else {
                ascii++;
            }
        }
        if (nonAscii == 0) {
            return longLine ? "quoted-printable" : "7bit";
        }
        return ascii > nonAscii ? "quoted-printable" : "base64";
    }

    /** {@code multipart/alternative} of a plain and an HTML text, written as Jakarta Mail's {@link MimeMultipart} writes it. */
    static Body alternative(Body plain, Body html) {
        String boundary = "----=_Part_" + BOUNDARIES.getAndIncrement() + "_"
                          + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(plain.bytes().length + html.bytes().length + 400);
        for (Body part : List.of(plain, html)) {
            bytes.writeBytes(("--" + boundary + "\r\nContent-Type: " + part.contentType()
                              + "\r\nContent-Transfer-Encoding: " + part.encoding() + "\r\n\r\n")
                                     .getBytes(StandardCharsets.US_ASCII));
            bytes.writeBytes(part.bytes());
            bytes.writeBytes(CRLF);
        }
        bytes.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        return new Body("multipart/alternative; boundary=\"" + boundary + "\"", null, bytes.toByteArray());
    }

    /**
     * The {@code Date} header: RFC 5322 ({@code Wed, 2 Dec 2026 09:05:07 +0000}), in UTC; put
     * together by hand, as a {@code DateTimeFormatter} pattern cost a tenth of a delivery's
     * rendering.
     */
    static String date(Instant instant) {
        LocalDateTime time = LocalDateTime.ofEpochSecond(instant.getEpochSecond(), 0, ZoneOffset.UTC);
        StringBuilder date = new StringBuilder(31)
                .append(DAYS[time.getDayOfWeek().ordinal()]).append(", ").append(time.getDayOfMonth()).append(' ')
                .append(MONTHS[time.getMonthValue() - 1]).append(' ').append(time.getYear()).append(' ');
        twoDigits(date, time.getHour()).append(':');
        twoDigits(date, time.getMinute()).append(':');
        return twoDigits(date, time.getSecond()).append(" +0000").toString();
    }

    private static StringBuilder twoDigits(StringBuilder text, int value) {
        return text.append((char) ('0' + value / 10)).append((char) ('0' + value % 10));
    }

    /**
     * A message submitted over SMTP (SPEC §13): its MIME as the client sent it, with {@code Bcc:}
     * removed and {@code Message-ID} and {@code Date} added when missing (the id fixed at accept,
     * the accept time), and its {@code MAIL FROM} as the envelope sender. Nothing else is
     * rewritten: the body goes out byte for byte.
     */
    private MimeMessage relayed(OutboundMessage message) throws MessagingException {
        RawMime raw = submitted.read(message.id())
                .orElseThrow(() -> new MessagingException("the submitted MIME is no longer stored"));
        SMTPMessage mime = new SMTPMessage(session, new ByteArrayInputStream(raw.content()));
        mime.setEnvelopeFrom(raw.envelopeFrom());
        mime.removeHeader("Bcc");
        if (mime.getHeader("Message-ID") == null) {
            mime.setHeader("Message-ID", message.messageIdHeader());
        }
        if (mime.getHeader("Date") == null) {
            mime.setHeader("Date", date(message.createdAt()));
        }
        return mime;
    }

    /**
     * The body with its attachments: {@code mixed(bodies, attachments…)}, where the bodies are
     * {@code alternative(text, html)} or the one body given, and the HTML is
     * {@code related(html, inline…)} when there are inline attachments (which need an HTML body).
     */
    private void withAttachments(MimeMessage mime, OutboundMessage message) throws MessagingException {
        List<MimeBodyPart> inline = new ArrayList<>();
        List<MimeBodyPart> regular = new ArrayList<>();
        for (StoredAttachment attachment : attachments.list(message.id())) {
            (attachment.inline() ? inline : regular).add(attachmentPart(message, attachment));
        }
        MimeBodyPart text = message.textBody().isPresent() ? textPart(message.textBody().get(), "plain") : null;
        MimeBodyPart html = message.htmlBody().isPresent() ? textPart(message.htmlBody().get(), "html") : null;
        MimeMultipart related = html == null || inline.isEmpty() ? null : multipart("related", html, inline);
        MimeBodyPart htmlEntity = related == null ? html : part(related);
        MimeMultipart bodies = text != null && htmlEntity != null
                ? multipart("alternative", text, List.of(htmlEntity))
                : related;
        if (regular.isEmpty()) {
            // attachments, none of them regular: all inline, so the HTML is a multipart/related
            mime.setContent(bodies);
            return;
        }
        MimeBodyPart first = bodies != null ? part(bodies) : text != null ? text : html;
        mime.setContent(multipart("mixed", first, regular));
    }

    /**
     * One attachment: its MIME type with the file name as {@code name}, a disposition with the
     * {@code filename}, base64, and for an inline one its {@code Content-ID}. The headers are all
     * set here, so that preparing the message never reads the content to choose them.
     */
    private MimeBodyPart attachmentPart(OutboundMessage message, StoredAttachment attachment) throws MessagingException {
        MimeBodyPart part = new MimeBodyPart();
        part.setDataHandler(new DataHandler(new StoredContent(attachments, message.id(), attachment)));
        // parsed and written again by Jakarta Mail, which folds the parameters into lines
        ContentType type = new ContentType(attachment.contentType());
        if (type.getParameterList() != null) {
            type.getParameterList().remove("name");
        }
        part.setHeader("Content-Type", new ContentType(type + fileNameParameters("name", attachment.filename()))
                .toString());
        part.setHeader("Content-Disposition", new ContentDisposition(
                (attachment.inline() ? Part.INLINE : Part.ATTACHMENT)
                + fileNameParameters("filename", attachment.filename())).toString());
        part.setHeader("Content-Transfer-Encoding", "base64");
        if (attachment.inline()) {
            part.setContentID("<" + attachment.contentId().get() + ">");
        }
        return part;
    }

    /**
     * The parameters that carry a file name, {@code "; name=value"}: as it is when ASCII (quoted
     * as needed, and continued over {@code name*0}, {@code name*1}… when long); otherwise
     * RFC 2231-encoded as UTF-8 ({@code name*=UTF-8''…}), in segments of at most {@value #SEGMENT}
     * characters that never split a character ({@code name*0*=UTF-8''…; name*1*=…}). Jakarta
     * Mail does not continue encoded values: a long non-ASCII name would make a header line of
     * thousands of characters.
     */
    private static String fileNameParameters(String name, String value) {
        if (value.chars().allMatch(c -> c >= 0x20 && c < 0x7F)) {
            ParameterList parameters = new ParameterList();
            parameters.set(name, value);
            return parameters.toString();
        }
        List<String> segments = new ArrayList<>();
        StringBuilder segment = new StringBuilder("UTF-8''");
        value.codePoints().forEach(codePoint -> {
            StringBuilder piece = new StringBuilder();
            for (byte b : Character.toString(codePoint).getBytes(StandardCharsets.UTF_8)) {
                int c = b & 0xFF;
                piece.append(ATTRIBUTE_CHARS.indexOf(c) >= 0 ? String.valueOf((char) c)
                                     : "%" + HexFormat.of().withUpperCase().toHexDigits((byte) c));
            }
            if (segment.length() + piece.length() > SEGMENT) {
                segments.add(segment.toString());
                segment.setLength(0);
            }
            segment.append(piece);
        });
        segments.add(segment.toString());
        if (segments.size() == 1) {
            return "; " + name + "*=" + segments.getFirst();
        }
        StringBuilder parameters = new StringBuilder();
        for (int i = 0; i < segments.size(); i++) {
            parameters.append("; ").append(name).append('*').append(i).append("*=").append(segments.get(i));
        }
        return parameters.toString();
    }

    /** A text as a part of a multipart: the bytes and headers of {@link #text}, written as they are. */
    private static MimeBodyPart textPart(String text, String subtype) throws MessagingException {
        Body body = text(text, subtype);
        InternetHeaders headers = new InternetHeaders();
        headers.setHeader("Content-Type", body.contentType());
        headers.setHeader("Content-Transfer-Encoding", body.encoding());
        return new MimeBodyPart(headers, body.bytes());
    }

    private static MimeMultipart multipart(String subtype, MimeBodyPart first, List<MimeBodyPart> rest)
            throws MessagingException {
        MimeMultipart multipart = new MimeMultipart(subtype);
        multipart.addBodyPart(first);
        for (MimeBodyPart part : rest) {
            multipart.addBodyPart(part);
        }
        return multipart;
    }

    private static MimeBodyPart part(MimeMultipart multipart) throws MessagingException {
        MimeBodyPart part = new MimeBodyPart();
        part.setContent(multipart);
        return part;
    }

    /**
     * Why a message could not be rendered or written: for good, unless it was its attachments
     * that could not be read from the database just now; then it is tried again later.
     */
    static SendResult renderFailed(Exception e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof DatabaseUnavailableException || cause instanceof DatabaseBusyException) {
                return new SendResult.Transient("cannot read the stored message: " + cause.getMessage());
            }
        }
        return new SendResult.Permanent("cannot render the message: " + e.getMessage());
    }

    /** An attachment's bytes as a part's content, streamed from the database each time the part is written. */
    private record StoredContent(Attachments attachments, UUID messageId, StoredAttachment attachment)
            implements DataSource {
        @Override
        public InputStream getInputStream() {
            return attachments.open(messageId, attachment);
        }

        @Override
        public OutputStream getOutputStream() throws IOException {
            throw new IOException("a stored attachment is read-only");
        }

        @Override
        public String getContentType() {
            return attachment.contentType();
        }

        @Override
        public String getName() {
            return attachment.filename();
        }
    }

    /** The envelope: to, cc and bcc, but those an earlier attempt settled. */
    static InternetAddress[] envelope(OutboundMessage message) throws MessagingException {
        return addresses(message.pendingRecipients());
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

        /**
         * Sets the body to {@code body}'s bytes as they are and saves the message as
         * {@link #saveChanges} would (MIME-Version, Message-ID; the Date is set already), marked
         * unmodified so that writing it copies the headers and those bytes and reads nothing again.
         */
        void saveBody(Body body) throws MessagingException {
            setHeader("Content-Type", body.contentType());
            if (body.encoding() != null) {
                setHeader("Content-Transfer-Encoding", body.encoding());
            }
            setHeader("MIME-Version", "1.0");
            updateMessageID();
            content = body.bytes();
            saved = true;
            modified = false;
        }
    }
}
