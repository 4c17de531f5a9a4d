package dev.mgw.server.webhooks;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When a failed webhook attempt is tried again (SPEC §11): after 5 s, 5 min, 30 min, 2 h, 5 h,
 * 10 h, 10 h and 10 h, each ±20%, then never (nine attempts over about 38 hours). A
 * {@code Retry-After} of up to an hour replaces the scheduled delay; a longer one is not honoured.
 */
final class RetrySchedule {
    static final List<Duration> DELAYS = List.of(Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofMinutes(30),
                                                  Duration.ofHours(2), Duration.ofHours(5), Duration.ofHours(10),
                                                  Duration.ofHours(10), Duration.ofHours(10));
    static final int MAX_ATTEMPTS = DELAYS.size() + 1;
    static final Duration MAX_RETRY_AFTER = Duration.ofHours(1);

    private RetrySchedule() {
    }

    /** The delay after failed attempt {@code attempt} (1 = the first), or empty when it was the last. */
    static Optional<Duration> after(int attempt, Optional<Duration> retryAfter) {
        if (attempt >= MAX_ATTEMPTS) {
            return Optional.empty();
        }
        Optional<Duration> asked = retryAfter.filter(d -> !d.isNegative() && d.compareTo(MAX_RETRY_AFTER) <= 0);
        if (asked.isPresent()) {
            return asked;
        }
        long millis = DELAYS.get(Math.max(0, attempt - 1)).toMillis();
        return Optional.of(Duration.ofMillis((long) (millis * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble()))));
    }
}
