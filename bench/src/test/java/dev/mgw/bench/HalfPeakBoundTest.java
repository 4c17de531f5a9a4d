package dev.mgw.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** SPEC §9's half-peak p99 bound: pgbench's p99 at the same rate, 15 ms where that is ≤ 5 ms. */
class HalfPeakBoundTest {
    @Test
    void pgbenchsP99IsTheBoundAboveFiveMilliseconds() {
        assertEquals(24.4, Bench.halfPeakP99Bound(24.4));
        assertEquals(5.01, Bench.halfPeakP99Bound(5.01));
    }

    @Test
    void fifteenMillisecondsIsTheBoundWherePgbenchsP99IsFiveOrLess() {
        assertEquals(15, Bench.halfPeakP99Bound(5));
        assertEquals(15, Bench.halfPeakP99Bound(3.04));
    }
}
