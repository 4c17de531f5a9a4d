package dev.mgw.core.messages;

import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Message ids are UUIDv7 (RFC 9562): a millisecond timestamp followed by random bits, so new
 * rows land at the right end of the primary-key index instead of all over it. The random bits
 * make ids unique, not secret (a message is only ever shown to its own key), so they come from
 * the fast per-thread generator rather than the shared, synchronised SecureRandom.
 */
public final class MessageIds {

    private MessageIds() {
    }

    public static UUID next(Clock clock) {
        long millis = clock.millis();
        long randomA = ThreadLocalRandom.current().nextLong();
        long randomB = ThreadLocalRandom.current().nextLong();
        long high = (millis << 16) | 0x7000L | (randomA & 0x0FFFL);
        long low = (randomB & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(high, low);
    }
}
