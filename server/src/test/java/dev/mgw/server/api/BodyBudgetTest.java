package dev.mgw.server.api;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BodyBudgetTest {
    @Test
    void aReservationGrowsAndIsGivenBackWhole() {
        BodyBudget budget = new BodyBudget(64 * 1024);
        try (BodyBudget.Reservation reservation = budget.reserve()) {
            reservation.cover(1);
            assertEquals(63 * 1024, budget.availableBytes(), "whole KiB");
            reservation.cover(10_000);
            reservation.cover(5_000);
            assertEquals(54 * 1024, budget.availableBytes(), "covering less than held takes nothing more");
        }
        assertEquals(64 * 1024, budget.availableBytes());
    }

    @Test
    void aBodyLargerThanTheBudgetTakesAllOfItAndOthersWaitThenGet503() {
        BodyBudget budget = new BodyBudget(64 * 1024);
        try (BodyBudget.Reservation large = budget.reserve(); BodyBudget.Reservation next = budget.reserve()) {
            large.cover(1 << 20);
            assertEquals(0, budget.availableBytes());
            long started = System.nanoTime();
            Problem busy = assertThrows(Problem.class, () -> next.cover(1));
            assertEquals(503, busy.status().code());
            assertEquals("1", busy.headers().get("Retry-After"));
            assertTrue((System.nanoTime() - started) / 1_000_000 >= BodyBudget.WAIT_MILLIS - 50, "it waited for room first");
        }
        assertEquals(64 * 1024, budget.availableBytes());
    }
}
