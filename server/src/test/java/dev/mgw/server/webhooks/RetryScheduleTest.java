package dev.mgw.server.webhooks;

import java.time.Duration;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RetryScheduleTest {
    @Test
    void eightRetriesAfter5s5m30m2h5hAnd10hThreeTimesEachWithin20Percent() {
        Duration[] base = {Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofMinutes(30), Duration.ofHours(2),
                           Duration.ofHours(5), Duration.ofHours(10), Duration.ofHours(10), Duration.ofHours(10)};
        for (int attempt = 1; attempt <= 8; attempt++) {
            for (int i = 0; i < 50; i++) {
                long delay = RetrySchedule.after(attempt, Optional.empty()).orElseThrow().toMillis();
                long expected = base[attempt - 1].toMillis();
                assertTrue(delay >= expected * 0.8 && delay <= expected * 1.2, "attempt " + attempt + ": " + delay);
            }
        }
        assertEquals(Optional.empty(), RetrySchedule.after(9, Optional.empty()), "then failed");
    }

    @Test
    void aRetryAfterOfUpToAnHourReplacesTheScheduledDelay() {
        assertEquals(Optional.of(Duration.ofSeconds(120)), RetrySchedule.after(3, Optional.of(Duration.ofSeconds(120))));
        assertEquals(Optional.of(Duration.ofHours(1)), RetrySchedule.after(1, Optional.of(Duration.ofHours(1))));
        long ignored = RetrySchedule.after(1, Optional.of(Duration.ofHours(2))).orElseThrow().toMillis();
        assertTrue(ignored >= 4000 && ignored <= 6000, "longer than an hour: the schedule's " + ignored + " ms");
        assertEquals(Optional.empty(), RetrySchedule.after(9, Optional.of(Duration.ofSeconds(1))), "no attempt is left");
    }
}
