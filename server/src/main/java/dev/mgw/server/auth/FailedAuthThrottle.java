package dev.mgw.server.auth;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts failed authentications per client address in fixed windows: after {@code limit}
 * failures within the window the address is refused (before any bcrypt work) until it ends.
 */
final class FailedAuthThrottle {
    private static final int MAX_TRACKED = 50_000;

    private final Map<String, Window> windows = new ConcurrentHashMap<>();
    private final int limit;
    private final long windowMillis;
    private final Clock clock;

    FailedAuthThrottle(int limit, Duration window, Clock clock) {
        this.limit = limit;
        this.windowMillis = window.toMillis();
        this.clock = clock;
    }

    private record Window(long startMillis, int failures) {
    }

    /** Seconds until the address may try again, when it is blocked now. */
    OptionalLong blockedFor(String address) {
        Window window = windows.get(address);
        long now = clock.millis();
        if (window == null || now - window.startMillis >= windowMillis || window.failures < limit) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Math.max(1, (window.startMillis + windowMillis - now + 999) / 1000));
    }

    void recordFailure(String address) {
        long now = clock.millis();
        if (windows.size() > MAX_TRACKED) {
            windows.values().removeIf(w -> now - w.startMillis >= windowMillis);
        }
        windows.compute(address, (key, window) -> window == null || now - window.startMillis >= windowMillis
                ? new Window(now, 1)
                : new Window(window.startMillis, window.failures + 1));
    }
}
