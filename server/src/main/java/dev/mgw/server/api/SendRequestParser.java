package dev.mgw.server.api;

import java.net.URLConnection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

import dev.mgw.core.Hashes;
import dev.mgw.core.config.GatewayConfig;
import dev.mgw.core.messages.AttachmentBytes;
import dev.mgw.core.messages.EmailAddress;
import dev.mgw.core.messages.NewAttachment;
import dev.mgw.core.messages.NewMessage;

import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

import static dev.mgw.core.JsonP.JSON;

/**
 * Turns a {@code POST /api/v1/send} body into a {@link NewMessage}, and a
 * {@code POST /api/v1/send/batch} body into a list of them, checking every field rule of SPEC
 * §5.2 (every offending field gets its own entry in the 422; a batch item's fields are named
 * after it, {@code messages[3].to}), and computes the hash of the canonical request that
 * idempotency compares.
 */
public final class SendRequestParser {
    static final int MAX_RECIPIENTS = 50;
    static final int MAX_LINE = 998;
    static final int MAX_HEADERS = 20;
    static final int MAX_TAGS = 10;
    static final int MAX_TAG_KEY = 64;
    static final int MAX_TAG_VALUE = 256;
    static final Duration MAX_SCHEDULE = Duration.ofHours(72);
    static final int MAX_ATTACHMENTS = 20;
    static final int MAX_FILENAME = 255;
    static final int MAX_CONTENT_TYPE = 255;
    private static final Set<String> FIELDS = Set.of("to", "cc", "bcc", "subject", "html_body", "html", "text_body",
                                                     "text", "from", "reply_to", "headers", "tags", "send_at",
                                                     "attachments");
    private static final Set<String> ATTACHMENT_FIELDS = Set.of("filename", "content", "content_type", "content_id");
    private static final Set<String> BATCH_FIELDS = Set.of("messages");
    private static final Pattern CONTENT_ID = Pattern.compile("[A-Za-z0-9._@-]{1,100}");
    /** Custom headers a client may set, by lower-case name, with their canonical spelling. */
    private static final Map<String, String> NAMED_HEADERS = Map.of(
            "reply-to", "Reply-To",
            "in-reply-to", "In-Reply-To",
            "references", "References",
            "list-unsubscribe", "List-Unsubscribe",
            "list-unsubscribe-post", "List-Unsubscribe-Post");

    /** A MIME type (RFC 2045 tokens) with optional parameters, values as tokens or quoted strings. */
    private static final Pattern MIME_TYPE;

    static {
        String token = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
        String quoted = "\"(?:[\\x20\\x21\\x23-\\x5B\\x5D-\\x7E]|\\\\[\\x20-\\x7E])*\"";
        MIME_TYPE = Pattern.compile(token + "/" + token + "(?:[ \t]*;[ \t]*" + token + "=(?:" + token + "|" + quoted + "))*");
    }

    private final EmailAddress.Mailbox defaultFrom;
    private final Set<String> allowedFromDomains;
    private final Set<String> allowDomains;
    private final GatewayConfig.Attachments attachmentRules;
    private final int batchMaxMessages;
    private final Clock clock;

    public SendRequestParser(String defaultFrom, List<String> allowedFromDomains, List<String> allowDomains,
                             GatewayConfig.Attachments attachmentRules, int batchMaxMessages, Clock clock) {
        this.defaultFrom = EmailAddress.parseMailbox(defaultFrom, false);
        this.allowedFromDomains = Set.copyOf(allowedFromDomains);
        this.allowDomains = Set.copyOf(allowDomains);
        this.attachmentRules = attachmentRules;
        this.batchMaxMessages = batchMaxMessages;
        this.clock = clock;
    }

    public NewMessage parse(JsonObject body) {
        Errors errors = new Errors();
        NewMessage message = message(body, errors);
        errors.throwIfAny();
        return message;
    }

    /**
     * The messages of a batch ({@code {"messages": [...]}}, 1 to {@code BATCH_MAX_MESSAGES}),
     * each checked as {@link #parse} checks a message; all or nothing: any offending field of any
     * item refuses the batch, and every one is listed.
     */
    public List<NewMessage> parseBatch(JsonObject body) {
        Errors errors = new Errors();
        unknownFields(body, BATCH_FIELDS, errors);
        int given = body.get("messages") instanceof JsonArray array ? array.size() : -1;
        if (given < 1 || given > batchMaxMessages) {
            errors.add("messages", "is required: an array of 1 to " + batchMaxMessages + " messages (BATCH_MAX_MESSAGES)"
                                   + (given >= 0 ? "; " + given + " given" : ""));
            throw errors.problem();
        }
        JsonArray items = body.getJsonArray("messages");
        List<NewMessage> messages = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            Errors itemErrors = errors.within("messages[" + i + "].");
            if (items.get(i) instanceof JsonObject item) {
                messages.add(message(item, itemErrors));
            } else {
                errors.add("messages[" + i + "]", "must be an object: a message as /api/v1/send takes it");
            }
        }
        errors.throwIfAny();
        return messages;
    }

    /** One message's fields, checked; only to be used when {@code errors} stayed empty. */
    private NewMessage message(JsonObject body, Errors errors) {
        unknownFields(body, FIELDS, errors);

        Set<String> seen = new LinkedHashSet<>();
        List<EmailAddress> to = recipients(body, "to", true, seen, errors);
        List<EmailAddress> cc = recipients(body, "cc", false, seen, errors);
        List<EmailAddress> bcc = recipients(body, "bcc", false, seen, errors);
        if (seen.size() > MAX_RECIPIENTS) {
            errors.add("to", "at most " + MAX_RECIPIENTS + " distinct recipients in to, cc and bcc together ("
                             + seen.size() + " given)");
        }
        String subject = subject(body, errors);
        Optional<String> html = body(body, "html_body", "html", errors);
        Optional<String> text = body(body, "text_body", "text", errors);
        if (html.isEmpty() && text.isEmpty() && !errors.has("html_body") && !errors.has("text_body")
            && !errors.has("html") && !errors.has("text")) {
            errors.add("text_body", "give text_body or html_body (at least one, not empty)");
        }
        EmailAddress.Mailbox from = from(body, errors);
        Optional<EmailAddress.Mailbox> replyTo = optionalMailbox(body, "reply_to", errors);
        Map<String, String> headers = headers(body, errors);
        if (replyTo.isPresent() && headers.containsKey("Reply-To")) {
            errors.add("headers.Reply-To", "Reply-To is given twice; use the reply_to field");
        }
        Map<String, String> tags = tags(body, errors);
        Optional<Instant> sendAt = sendAt(body, errors);
        List<NewAttachment> attachments = attachments(body, html.isPresent(), errors);
        return new NewMessage(from, replyTo, to, cc, bcc, subject, text, html, headers, tags, sendAt, attachments);
    }

    /** Each field not among {@code known}, sorted, as "unknown field". */
    private static void unknownFields(JsonObject object, Set<String> known, Errors errors) {
        object.keySet().stream().filter(name -> !known.contains(name)).sorted()
                .forEach(name -> errors.add(name, "unknown field"));
    }

    private List<EmailAddress> recipients(JsonObject body, String field, boolean required, Set<String> seen,
                                          Errors errors) {
        JsonValue value = body.get(field);
        List<EmailAddress> addresses = new ArrayList<>();
        if (value == null || value.getValueType() == JsonValue.ValueType.NULL) {
            if (required) {
                errors.add(field, "is required: an address or a non-empty array of addresses");
            }
            return addresses;
        }
        List<JsonValue> items;
        if (required && value instanceof JsonString) {
            items = List.of(value);
        } else if (value instanceof JsonArray array) {
            items = array;
            if (required && array.isEmpty()) {
                errors.add(field, "must not be empty");
                return addresses;
            }
        } else {
            errors.add(field, required ? "must be an address or an array of addresses" : "must be an array of addresses");
            return addresses;
        }
        for (int i = 0; i < items.size(); i++) {
            String name = value instanceof JsonArray ? field + "[" + i + "]" : field;
            if (!(items.get(i) instanceof JsonString string)) {
                errors.add(name, "must be a string");
                continue;
            }
            Optional<EmailAddress> address = address(name, string.getString(), errors);
            if (address.isEmpty()) {
                continue;
            }
            if (!allowDomains.isEmpty() && !allowDomains.contains(address.get().domain())) {
                errors.add(name, "recipient domain " + address.get().domain() + " is not allowed here");
                continue;
            }
            if (seen.add(address.get().address().toLowerCase(Locale.ROOT))) {
                addresses.add(address.get());
            }
        }
        return addresses;
    }

    private static Optional<EmailAddress> address(String field, String text, Errors errors) {
        if (!cleanLine(field, text, errors)) {
            return Optional.empty();
        }
        try {
            return Optional.of(EmailAddress.parse(text));
        } catch (IllegalArgumentException e) {
            errors.add(field, "is not a valid address: " + e.getMessage());
            return Optional.empty();
        }
    }

    private static String subject(JsonObject body, Errors errors) {
        Optional<String> subject = string(body, "subject", errors);
        if (subject.isEmpty()) {
            if (!errors.has("subject")) {
                errors.add("subject", "is required");
            }
            return "";
        }
        String value = subject.get();
        if (value.isEmpty()) {
            errors.add("subject", "must not be empty");
        } else if (value.codePointCount(0, value.length()) > MAX_LINE) {
            errors.add("subject", "must be at most " + MAX_LINE + " characters");
        } else {
            cleanLine("subject", value, errors);
        }
        return value;
    }

    /** A body under its name or its alias (not both); empty strings count as absent. */
    private static Optional<String> body(JsonObject body, String name, String alias, Errors errors) {
        if (present(body, name) && present(body, alias)) {
            errors.add(alias, "give " + name + " or " + alias + ", not both");
            return Optional.empty();
        }
        String field = present(body, alias) ? alias : name;
        Optional<String> value = string(body, field, errors);
        if (value.isPresent() && !cleanText(field, value.get(), errors)) {
            return Optional.empty();
        }
        return value.filter(v -> !v.isEmpty());
    }

    private EmailAddress.Mailbox from(JsonObject body, Errors errors) {
        // the allowed sender domains decide; a single-label one (the sandbox's localhost) is fine there
        Optional<EmailAddress.Mailbox> from = optionalMailbox(body, "from", false, errors);
        if (from.isPresent() && !allowedFromDomains.contains(from.get().address().domain())) {
            errors.add("from", "sender domain " + from.get().address().domain() + " is not one of the allowed sender "
                               + "domains (" + String.join(", ", allowedFromDomains.stream().sorted().toList()) + ")");
        }
        return from.orElse(defaultFrom);
    }

    private static Optional<EmailAddress.Mailbox> optionalMailbox(JsonObject body, String field, Errors errors) {
        return optionalMailbox(body, field, true, errors);
    }

    private static Optional<EmailAddress.Mailbox> optionalMailbox(JsonObject body, String field, boolean requireDot,
                                                                  Errors errors) {
        Optional<String> text = string(body, field, errors);
        if (text.isEmpty() || !cleanLine(field, text.get(), errors)) {
            return Optional.empty();
        }
        try {
            return Optional.of(EmailAddress.parseMailbox(text.get(), requireDot));
        } catch (IllegalArgumentException e) {
            errors.add(field, "is not a valid address: " + e.getMessage());
            return Optional.empty();
        }
    }

    private static Map<String, String> headers(JsonObject body, Errors errors) {
        Map<String, String> headers = new LinkedHashMap<>();
        Optional<JsonObject> object = object(body, "headers", errors);
        if (object.isEmpty()) {
            return headers;
        }
        if (object.get().size() > MAX_HEADERS) {
            errors.add("headers", "at most " + MAX_HEADERS + " headers (" + object.get().size() + " given)");
            return headers;
        }
        Set<String> lowerNames = new LinkedHashSet<>();
        for (Map.Entry<String, JsonValue> header : object.get().entrySet()) {
            String name = header.getKey();
            String field = "headers." + name;
            Optional<String> canonical = headerName(name);
            if (canonical.isEmpty()) {
                errors.add(field, "header " + printable(name) + " may not be set; allowed are Reply-To, In-Reply-To, "
                                  + "References, List-Unsubscribe, List-Unsubscribe-Post and X-* headers");
                continue;
            }
            if (!lowerNames.add(name.toLowerCase(Locale.ROOT))) {
                errors.add(field, "header is given twice");
                continue;
            }
            if (!(header.getValue() instanceof JsonString value)) {
                errors.add(field, "must be a string");
                continue;
            }
            if (value.getString().length() > MAX_LINE) {
                errors.add(field, "must be at most " + MAX_LINE + " characters");
                continue;
            }
            if (cleanLine(field, value.getString(), errors)) {
                headers.put(canonical.get(), value.getString());
            }
        }
        return headers;
    }

    /** The spelling to send a client header under, or empty when the name is not allowed. */
    private static Optional<String> headerName(String name) {
        if (name.isEmpty() || name.length() > 76 || !name.chars().allMatch(c -> c > 32 && c < 127 && c != ':')) {
            return Optional.empty();
        }
        String lower = name.toLowerCase(Locale.ROOT);
        if (NAMED_HEADERS.containsKey(lower)) {
            return Optional.of(NAMED_HEADERS.get(lower));
        }
        return lower.startsWith("x-") && name.length() > 2 ? Optional.of(name) : Optional.empty();
    }

    private static Map<String, String> tags(JsonObject body, Errors errors) {
        Map<String, String> tags = new LinkedHashMap<>();
        Optional<JsonObject> object = object(body, "tags", errors);
        if (object.isEmpty()) {
            return tags;
        }
        if (object.get().size() > MAX_TAGS) {
            errors.add("tags", "at most " + MAX_TAGS + " tags (" + object.get().size() + " given)");
            return tags;
        }
        for (Map.Entry<String, JsonValue> tag : object.get().entrySet()) {
            String field = "tags." + tag.getKey();
            if (tag.getKey().isEmpty() || tag.getKey().length() > MAX_TAG_KEY || !cleanLine(field, tag.getKey(), errors)) {
                if (!errors.has(field)) {
                    errors.add(field, "tag names are 1 to " + MAX_TAG_KEY + " characters");
                }
                continue;
            }
            if (!(tag.getValue() instanceof JsonString value)) {
                errors.add(field, "must be a string");
                continue;
            }
            if (value.getString().length() > MAX_TAG_VALUE) {
                errors.add(field, "must be at most " + MAX_TAG_VALUE + " characters");
                continue;
            }
            if (cleanLine(field, value.getString(), errors)) {
                tags.put(tag.getKey(), value.getString());
            }
        }
        return tags;
    }

    private Optional<Instant> sendAt(JsonObject body, Errors errors) {
        Optional<String> text = string(body, "send_at", errors);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        Instant sendAt;
        try {
            sendAt = OffsetDateTime.parse(text.get().toUpperCase(Locale.ROOT).replace(' ', 'T')).toInstant();
        } catch (DateTimeParseException e) {
            errors.add("send_at", "must be an RFC 3339 time with an offset, e.g. 2026-11-24T18:30:00Z");
            return Optional.empty();
        }
        if (sendAt.isAfter(clock.instant().plus(MAX_SCHEDULE))) {
            errors.add("send_at", "must be at most 72 hours ahead");
            return Optional.empty();
        }
        return Optional.of(sendAt);
    }

    /**
     * The attachments (SPEC §5.2): at most {@value #MAX_ATTACHMENTS}, each with a file name, its
     * content (decoded while the body was read, {@link Base64Content}), a MIME type (the client's,
     * else the default for the file name), and for an inline one a content id unique in the
     * message; inline ones need an HTML body to be shown in; their decoded total at most
     * {@code MAX_ATTACHMENT_BYTES}.
     */
    private List<NewAttachment> attachments(JsonObject body, boolean hasHtml, Errors errors) {
        if (!present(body, "attachments")) {
            return List.of();
        }
        if (!(body.get("attachments") instanceof JsonArray array)) {
            errors.add("attachments", "must be an array of {filename, content, content_type?, content_id?} objects");
            return List.of();
        }
        if (array.size() > MAX_ATTACHMENTS) {
            errors.add("attachments", "at most " + MAX_ATTACHMENTS + " attachments (" + array.size() + " given)");
            return List.of();
        }
        List<NewAttachment> attachments = new ArrayList<>(array.size());
        Set<String> contentIds = new HashSet<>();
        long total = 0;
        for (int i = 0; i < array.size(); i++) {
            String field = "attachments[" + i + "]";
            if (!(array.get(i) instanceof JsonObject item)) {
                errors.add(field, "must be an object: {filename, content, content_type?, content_id?}");
                continue;
            }
            Errors itemErrors = errors.within(field + ".");
            int before = errors.count();
            unknownFields(item, ATTACHMENT_FIELDS, itemErrors);
            Optional<String> filename = filename(item, itemErrors);
            Optional<AttachmentBytes> content = content(item, itemErrors);
            String contentType = contentType(item, filename, itemErrors);
            Optional<String> contentId = contentId(item, hasHtml, contentIds, itemErrors);
            total += content.map(AttachmentBytes::size).orElse(0L);
            if (errors.count() == before) {
                attachments.add(new NewAttachment(filename.orElseThrow(), contentType, contentId, content.orElseThrow()));
            }
        }
        if (total > attachmentRules.maxBytes()) {
            errors.add("attachments", "the attachments take " + total + " bytes decoded; MAX_ATTACHMENT_BYTES allows "
                                      + attachmentRules.maxBytes() + " per message");
        }
        return attachments;
    }

    /**
     * 1 to {@value #MAX_FILENAME} characters, no path separator or control character, and not
     * ending in a blocked extension (case-insensitive; the last of several dots, trailing dots and
     * spaces ignored, as Windows ignores them).
     */
    private Optional<String> filename(JsonObject item, Errors errors) {
        Optional<String> filename = string(item, "filename", errors);
        if (filename.isEmpty()) {
            if (!errors.has("filename")) {
                errors.add("filename", "is required");
            }
            return Optional.empty();
        }
        String name = filename.get();
        if (name.isEmpty() || name.codePointCount(0, name.length()) > MAX_FILENAME) {
            errors.add("filename", "must be 1 to " + MAX_FILENAME + " characters");
            return Optional.empty();
        }
        if (name.chars().anyMatch(c -> c == '/' || c == '\\' || c < 0x20 || c == 0x7F)) {
            errors.add("filename", "must not contain / or \\ or control characters (CR, LF, NUL, …)");
            return Optional.empty();
        }
        if (!cleanText("filename", name, errors)) {
            return Optional.empty();
        }
        String trimmed = name.replaceFirst("[. ]+$", "");
        String extension = trimmed.substring(trimmed.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
        if (trimmed.contains(".") && attachmentRules.blockedExtensions().contains(extension)) {
            errors.add("filename", "files ending in ." + extension + " are not accepted (BLOCKED_ATTACHMENT_EXTENSIONS)");
            return Optional.empty();
        }
        return filename;
    }

    /** The decoded content: at least one byte. */
    private static Optional<AttachmentBytes> content(JsonObject item, Errors errors) {
        JsonValue value = item.get("content");
        if (value == null || value.getValueType() == JsonValue.ValueType.NULL) {
            errors.add("content", "is required: the file's bytes in standard base64");
            return Optional.empty();
        }
        if (!(value instanceof Base64Content content)) {
            errors.add("content", "must be a string: the file's bytes in standard base64");
            return Optional.empty();
        }
        if (content.bytes().size() == 0) {
            errors.add("content", "must not be empty (at least 1 byte)");
            return Optional.empty();
        }
        return Optional.of(content.bytes());
    }

    /**
     * The client's MIME type when valid, else the one the file name suggests, else
     * {@code application/octet-stream}. Composite types ({@code multipart/*}, {@code message/*})
     * cannot carry a file's bytes as base64 and are refused.
     */
    private static String contentType(JsonObject item, Optional<String> filename, Errors errors) {
        Optional<String> given = string(item, "content_type", errors);
        if (given.isEmpty()) {
            return filename.map(URLConnection::guessContentTypeFromName)
                    .filter(type -> !composite(type))
                    .orElse("application/octet-stream");
        }
        String type = given.get();
        if (type.length() > MAX_CONTENT_TYPE || !MIME_TYPE.matcher(type).matches()) {
            errors.add("content_type", "must be a MIME type such as application/pdf or text/csv; charset=utf-8");
        } else if (composite(type)) {
            errors.add("content_type", "must not be multipart/* or message/*; send such a file as application/octet-stream");
        }
        return type;
    }

    private static boolean composite(String contentType) {
        String lower = contentType.toLowerCase(Locale.ROOT);
        return lower.startsWith("multipart/") || lower.startsWith("message/");
    }

    /** Makes the attachment inline: 1 to 100 of {@code [A-Za-z0-9._@-]}, once per message, with an HTML body. */
    private static Optional<String> contentId(JsonObject item, boolean hasHtml, Set<String> contentIds, Errors errors) {
        Optional<String> contentId = string(item, "content_id", errors);
        if (contentId.isEmpty()) {
            return Optional.empty();
        }
        if (!CONTENT_ID.matcher(contentId.get()).matches()) {
            errors.add("content_id", "must be 1 to 100 characters of A-Z, a-z, 0-9, '.', '_', '@' and '-'");
        } else if (!contentIds.add(contentId.get())) {
            errors.add("content_id", "is used by another attachment of this message");
        } else if (!hasHtml) {
            errors.add("content_id", "makes the attachment inline, which needs an html_body to refer to it (cid:"
                                     + contentId.get() + ")");
        }
        return contentId;
    }

    private static boolean present(JsonObject body, String field) {
        JsonValue value = body.get(field);
        return value != null && value.getValueType() != JsonValue.ValueType.NULL;
    }

    private static Optional<String> string(JsonObject body, String field, Errors errors) {
        if (!present(body, field)) {
            return Optional.empty();
        }
        if (!(body.get(field) instanceof JsonString string)) {
            errors.add(field, "must be a string");
            return Optional.empty();
        }
        return Optional.of(string.getString());
    }

    private static Optional<JsonObject> object(JsonObject body, String field, Errors errors) {
        if (!present(body, field)) {
            return Optional.empty();
        }
        if (!(body.get(field) instanceof JsonObject object)) {
            errors.add(field, "must be an object");
            return Optional.empty();
        }
        return Optional.of(object);
    }

    /** One line of text: no CR, LF or NUL (header injection), and valid Unicode. */
    private static boolean cleanLine(String field, String value, Errors errors) {
        if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0 || value.indexOf('\0') >= 0) {
            errors.add(field, "must not contain CR, LF or NUL");
            return false;
        }
        return cleanText(field, value, errors);
    }

    /** Any text: no NUL, no lone UTF-16 surrogate. */
    private static boolean cleanText(String field, String value, Errors errors) {
        if (value.indexOf('\0') >= 0) {
            errors.add(field, "must not contain NUL");
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                errors.add(field, "is not valid Unicode (lone surrogate)");
                return false;
            }
        }
        return true;
    }

    private static String printable(String text) {
        return text.chars().allMatch(c -> c >= 32 && c < 127) ? "'" + text + "'" : "with control or non-ASCII characters";
    }

    /**
     * SHA-256 of the request in canonical form: aliases renamed, a single {@code to} made a list,
     * object keys sorted, no whitespace, attachment contents as the digest of their bytes. Equal
     * requests hash alike however they were written.
     */
    public static String canonicalHash(JsonObject body) {
        return hash(normalized(body));
    }

    /** {@link #canonicalHash} of a batch whose items {@link #parseBatch} accepted: each item in canonical form. */
    public static String canonicalBatchHash(JsonObject body) {
        JsonArrayBuilder messages = JSON.createArrayBuilder();
        body.getJsonArray("messages").getValuesAs(JsonObject.class).forEach(item -> messages.add(normalized(item)));
        return hash(JSON.createObjectBuilder().add("messages", messages).build());
    }

    private static String hash(JsonObject normalized) {
        StringBuilder canonical = new StringBuilder();
        write(normalized, canonical);
        return Hashes.sha256Hex(canonical.toString());
    }

    private static JsonObject normalized(JsonObject body) {
        JsonObjectBuilder normalized = JSON.createObjectBuilder();
        body.forEach((name, value) -> {
            String canonicalName = switch (name) {
                case "html" -> "html_body";
                case "text" -> "text_body";
                default -> name;
            };
            if (value.getValueType() == JsonValue.ValueType.NULL) {
                return;
            }
            normalized.add(canonicalName, "to".equals(name) && value instanceof JsonString
                    ? JSON.createArrayBuilder().add(value).build()
                    : value);
        });
        return normalized.build();
    }

    private static void write(JsonValue value, StringBuilder out) {
        if (value instanceof JsonObject object) {
            out.append('{');
            new TreeMap<>(object).forEach((k, v) -> {
                out.append(JSON.createValue(k)).append(':');
                write(v, out);
                out.append(',');
            });
            if (!object.isEmpty()) {
                out.setLength(out.length() - 1);
            }
            out.append('}');
        } else if (value instanceof JsonArray array) {
            out.append('[');
            for (int i = 0; i < array.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                write(array.get(i), out);
            }
            out.append(']');
        } else {
            out.append(value);
        }
    }

    /** The offending fields of one request; fields of a part of it (a batch item, an attachment) named after it. */
    private static final class Errors {
        private final List<Problem.FieldError> list;
        private final String prefix;

        Errors() {
            this(new ArrayList<>(), "");
        }

        private Errors(List<Problem.FieldError> list, String prefix) {
            this.list = list;
            this.prefix = prefix;
        }

        /** The errors of a part, recorded in the same list with its name before theirs. */
        Errors within(String part) {
            return new Errors(list, prefix + part);
        }

        void add(String field, String message) {
            list.add(new Problem.FieldError(prefix + field, message));
        }

        boolean has(String field) {
            return list.stream().anyMatch(e -> e.field().equals(prefix + field));
        }

        int count() {
            return list.size();
        }

        Problem problem() {
            return Problem.validation(list);
        }

        void throwIfAny() {
            if (!list.isEmpty()) {
                throw problem();
            }
        }
    }
}
