package dev.mgw.server.delivery;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WriteTimeoutsTest {
    @Test
    void aTaskRunsOnceItsTimeCameAndACancelledOneNever() throws Exception {
        WriteTimeouts timer = new WriteTimeouts();
        AtomicInteger closed = new AtomicInteger();
        long now = System.nanoTime();
        ScheduledFuture<String> due = timer.schedule(() -> "closed " + closed.incrementAndGet(), 1, TimeUnit.SECONDS);
        ScheduledFuture<String> cancelled = timer.schedule(() -> "closed " + closed.incrementAndGet(), 1, TimeUnit.SECONDS);
        ScheduledFuture<String> later = timer.schedule(() -> "closed " + closed.incrementAndGet(), 1, TimeUnit.HOURS);
        assertTrue(cancelled.cancel(true), "a write that ended in time cancels its time-out");

        timer.runDue(now);
        assertEquals(0, closed.get(), "nothing is due yet");
        assertFalse(due.isDone());

        timer.runDue(now + TimeUnit.SECONDS.toNanos(2));
        assertEquals("closed 1", due.get(0, TimeUnit.SECONDS), "the write that outlived its time-out: the socket is closed");
        assertFalse(due.cancel(true), "too late to cancel: Angus Mail then reads the task's result");
        assertTrue(cancelled.isCancelled());
        assertFalse(later.isDone());
        assertEquals(1, timer.pending(), "only the one not yet due is kept");
        assertTrue(later.getDelay(TimeUnit.MINUTES) > 58);
    }

    @Test
    void theSweeperThreadRunsADueTaskByItself() throws Exception {
        WriteTimeouts timer = new WriteTimeouts();
        ScheduledFuture<String> due = timer.schedule(() -> "closed", 10, TimeUnit.MILLISECONDS);
        assertEquals("closed", due.get(WriteTimeouts.TICK.toMillis() * 10, TimeUnit.MILLISECONDS));
    }

    /**
     * Angus Mail cancels the time-out as soon as its write fails, and that write fails while the
     * task is still closing the socket. The cancel must then say "too late" (so Angus Mail reports
     * "Write timed out", not "Socket closed") and must not interrupt the sweeper, which would end
     * it and with it every later write time-out of the process.
     */
    @Test
    void aCancelWhileTheTaskRunsIsTooLateAndLeavesTheSweeperRunning() throws Exception {
        WriteTimeouts timer = new WriteTimeouts();
        CountDownLatch closing = new CountDownLatch(1);
        CountDownLatch writeFailed = new CountDownLatch(1);
        ScheduledFuture<String> closingTheSocket = timer.schedule(() -> {
            closing.countDown();
            writeFailed.await();
            return "Write timed out";
        }, 10, TimeUnit.MILLISECONDS);
        assertTrue(closing.await(WriteTimeouts.TICK.toMillis() * 10, TimeUnit.MILLISECONDS), "the sweeper runs the task");

        assertFalse(closingTheSocket.cancel(true), "the task is running: too late to cancel");
        writeFailed.countDown();
        assertEquals("Write timed out", closingTheSocket.get(WriteTimeouts.TICK.toMillis() * 10, TimeUnit.MILLISECONDS));

        ScheduledFuture<String> next = timer.schedule(() -> "closed", 10, TimeUnit.MILLISECONDS);
        assertEquals("closed", next.get(WriteTimeouts.TICK.toMillis() * 10, TimeUnit.MILLISECONDS),
                     "the sweeper still runs the next write's time-out");
    }
}
