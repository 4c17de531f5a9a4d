package dev.mgw.server.auth;

import java.time.Clock;
import java.time.Duration;
import java.util.OptionalLong;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;

/**
 * Counts failed authentications per client address in fixed windows: once {@code limit} failures
 * fall within the window, the address is refused (before any bcrypt work) until it ends. Checks
 * still running count as failures here, so that a burst of concurrent guesses cannot start more
 * than {@code limit} checks before the first of them fails; a check that succeeds stops counting.
 */
final class FailedAuthThrottle {
    private static final int MAX_TRACKED = 100_000;

    /** Every address with a running check or failures in its window; the oldest give way beyond the bound. */
    private final Cache<String, Window> windows;
    private final int limit;
    private final long windowMillis;
    private final Clock clock;

    FailedAuthThrottle(int limit, Duration window, Clock clock, Ticker ticker) {
        this.limit = limit;
        this.windowMillis = window.toMillis();
        this.clock = clock;
        this.windows = Caffeine.newBuilder().maximumSize(MAX_TRACKED).expireAfterWrite(window).ticker(ticker).build();
    }

    /** @param running checks started and not finished (they do not expire with the window) */
    private record Window(long startMillis, int failures, int running) {
    }

    /** Seconds until the address may try again, when its failures block it now. */
    OptionalLong blockedFor(String address) {
        Window window = windows.getIfPresent(address);
        long now = clock.millis();
        if (window == null || now - window.startMillis >= windowMillis || window.failures < limit) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(retryAfter(window, now));
    }

    /**
     * Admits one more check from the address: empty if admitted (end it with {@link #checked}),
     * else the seconds to wait, when its failures and running checks reach the limit.
     */
    OptionalLong startCheck(String address) {
        long now = clock.millis();
        OptionalLong[] refused = {OptionalLong.empty()};
        windows.asMap().compute(address, (key, stored) -> {
            Window window = current(stored, now);
            if (window.failures + window.running >= limit) {
                refused[0] = OptionalLong.of(window.failures >= limit ? retryAfter(window, now) : 1);
                return window;
            }
            return new Window(window.startMillis, window.failures, window.running + 1);
        });
        return refused[0];
    }

    /** Ends a check {@link #startCheck} admitted; a failed one counts as a failure. */
    void checked(String address, boolean failed) {
        long now = clock.millis();
        windows.asMap().compute(address, (key, stored) -> {
            Window window = current(stored, now);
            return new Window(window.startMillis, window.failures + (failed ? 1 : 0), Math.max(0, window.running - 1));
        });
    }

    /** A failure without a check (no key, or one that cannot be a key). */
    void recordFailure(String address) {
        long now = clock.millis();
        windows.asMap().compute(address, (key, stored) -> {
            Window window = current(stored, now);
            return new Window(window.startMillis, window.failures + 1, window.running);
        });
    }

    /** The stored window, or a new one from now when there is none or it is over (running checks carry over). */
    private Window current(Window stored, long now) {
        if (stored == null) {
            return new Window(now, 0, 0);
        }
        return now - stored.startMillis < windowMillis ? stored : new Window(now, 0, stored.running);
    }

    private long retryAfter(Window window, long now) {
        return Math.max(1, (window.startMillis + windowMillis - now + 999) / 1000);
    }
}
