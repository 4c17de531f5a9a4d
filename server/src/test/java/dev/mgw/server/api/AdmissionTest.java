package dev.mgw.server.api;

import org.junit.jupiter.api.Test;

import static dev.mgw.server.api.Admission.CpuGate.ENTER_NANOS;
import static dev.mgw.server.api.Admission.CpuGate.LEAVE_NANOS;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CPU gate's timing, on samples the test makes up. */
class AdmissionTest {
    private final Admission.CpuGate gate = new Admission.CpuGate();

    @Test
    void aBurstShorterThanTheEntryTimeIsNotOverload() {
        assertFalse(overloadedAfter(true, 0));
        assertFalse(overloadedAfter(true, ENTER_NANOS - 1));
        assertFalse(overloadedAfter(false, ENTER_NANOS));
        assertFalse(overloadedAfter(true, ENTER_NANOS + 1), "the queue drained in between: the clock starts again");
        assertFalse(overloadedAfter(true, 2 * ENTER_NANOS));
        assertTrue(overloadedAfter(true, 2 * ENTER_NANOS + 1));
    }

    @Test
    void overloadEndsOnlyAfterTheQueueStayedShortForTheLeaveTime() {
        gate.observe(true, 0);
        assertTrue(overloadedAfter(true, ENTER_NANOS));
        assertTrue(overloadedAfter(false, ENTER_NANOS + 1), "the 503s emptied the queue for a moment");
        assertTrue(overloadedAfter(true, ENTER_NANOS + 2));
        assertTrue(overloadedAfter(false, ENTER_NANOS + 3));
        assertTrue(overloadedAfter(false, ENTER_NANOS + 2 + LEAVE_NANOS));
        assertFalse(overloadedAfter(false, ENTER_NANOS + 3 + LEAVE_NANOS), "short for the leave time: over");
        assertFalse(overloadedAfter(true, ENTER_NANOS + 4 + LEAVE_NANOS), "a new burst is admitted again");
    }

    private boolean overloadedAfter(boolean queueIsLong, long now) {
        gate.observe(queueIsLong, now);
        return gate.overloaded();
    }
}
