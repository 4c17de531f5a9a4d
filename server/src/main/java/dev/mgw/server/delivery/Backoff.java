package dev.mgw.server.delivery;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Retry delays: the first delay, doubling with each attempt, ±20% jitter, at most an hour. */
final class Backoff {
    static final Duration CAP = Duration.ofHours(1);

    private final Duration first;

    Backoff(Duration first) {
        this.first = first;
    }

    /** The delay after the given failed attempt (1 = the first attempt). */
    Duration after(int attempt) {
        double base = first.toMillis() * Math.pow(2, Math.max(0, attempt - 1));
        double capped = Math.min(base, CAP.toMillis());
        double jittered = capped * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble());
        return Duration.ofMillis((long) Math.min(jittered, CAP.toMillis()));
    }
}
