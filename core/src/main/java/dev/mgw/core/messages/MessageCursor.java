package dev.mgw.core.messages;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;

/**
 * Where a page of messages (newest first) ended: the last message's acceptance time and id. The
 * next page starts below it, so messages accepted meanwhile neither shift nor repeat a page, and
 * messages with the same time are ordered by id. Opaque to clients: base64url of the two.
 */
public record MessageCursor(Instant createdAt, UUID id) {
    public MessageCursor {
        createdAt = createdAt.truncatedTo(ChronoUnit.MICROS);
    }

    public String encode() {
        long micros = ChronoUnit.MICROS.between(Instant.EPOCH, createdAt);
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((micros + "." + id).getBytes(StandardCharsets.US_ASCII));
    }

    /** The cursor a previous page gave out; empty for anything else. */
    public static Optional<MessageCursor> decode(String text) {
        try {
            String plain = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.US_ASCII);
            int dot = plain.indexOf('.');
            if (dot < 1 || !plain.substring(0, dot).matches("-?\\d{1,18}") || plain.length() - dot - 1 != 36) {
                return Optional.empty();
            }
            UUID id = UUID.fromString(plain.substring(dot + 1));
            if (!id.toString().equals(plain.substring(dot + 1))) {
                return Optional.empty();
            }
            return Optional.of(new MessageCursor(Instant.EPOCH.plus(Long.parseLong(plain.substring(0, dot)), ChronoUnit.MICROS),
                                                 id));
        } catch (IllegalArgumentException | java.time.DateTimeException | ArithmeticException e) {
            return Optional.empty();
        }
    }
}
