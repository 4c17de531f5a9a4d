package dev.mgw.core.quota;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

/**
 * A key's standing for one UTC day after (or instead of) a charge: its limit and what it used.
 */
public record Charge(int limit, int used) {
    public int remaining() {
        return Math.max(0, limit - used);
    }

    /** The UTC day a charge made now belongs to. */
    public static LocalDate today(Clock clock) {
        return LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    }

    /** When the quota of the current UTC day resets: the next UTC midnight. */
    public static Instant resetTime(Clock clock) {
        return today(clock).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    }
}
