package dev.mgw.server.delivery;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.mgw.core.messages.DeliveryQueue;
import dev.mgw.core.messages.OutboundMessage;
import dev.mgw.server.observe.LogContext;
import dev.mgw.server.observe.ThrottledLog;

/**
 * The claims this process holds, kept from passing to another worker while they are worked on.
 *
 * <p>A claim's lease ({@code DELIVERY_LEASE_SECONDS}) would let another worker take the message
 * once it runs out, however long the send takes. So while claims are held a heartbeat renews them
 * every third of the lease, in one statement for all of them, fenced by attempt: only a row still
 * {@code sending} at the claim's attempt is renewed, and a claim the answer leaves out is lost.
 * This process reckons each lease from just before the statement that set it, so its reckoning
 * never ends later than the database's. When renewals keep failing (the database is away) and
 * less than a sixth of a lease is left, a watchdog aborts that claim's SMTP exchange by closing
 * its connection from here (again on every check, in case the send reconnected), and a claim
 * that short is not started: the relay is never still taking a message when another worker may
 * claim it.
 */
final class Leases {
    private static final System.Logger LOG = System.getLogger(Leases.class.getName());
    private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long MAX_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final DeliveryQueue queue;
    private final Duration lease;
    private final long leaseNanos;
    private final long marginNanos;
    private final Set<Lease> claims = ConcurrentHashMap.newKeySet();
    private final ThrottledLog trouble = new ThrottledLog(LOG, Duration.ofSeconds(5));
    private final CountDownLatch stopped = new CountDownLatch(1);

    Leases(DeliveryQueue queue, Duration lease) {
        this.queue = queue;
        this.lease = lease;
        this.leaseNanos = lease.toNanos();
        this.marginNanos = leaseNanos / 6;
    }

    /** Starts the heartbeat and the watchdog. */
    void start() {
        Thread.ofVirtual().name("delivery-lease-renewal").start(this::renewals);
        Thread.ofVirtual().name("delivery-lease-watchdog").start(this::watchdog);
    }

    /** Stops renewing; the leases still held run out on their own. */
    void stop() {
        stopped.countDown();
    }

    /** Holds a batch claimed by a statement issued at {@code claimedNanos} ({@link System#nanoTime}). */
    List<Lease> hold(List<OutboundMessage> batch, long claimedNanos) {
        List<Lease> leases = new ArrayList<>(batch.size());
        for (OutboundMessage message : batch) {
            Lease lease = new Lease(message, claimedNanos + leaseNanos);
            claims.add(lease);
            leases.add(lease);
        }
        return leases;
    }

    int size() {
        return claims.size();
    }

    /** Aborts every send in progress (shutdown ran out of time). */
    void abortAll() {
        claims.forEach(lease -> lease.expire("the shutdown grace period is over"));
    }

    private void renewals() {
        long wait = leaseNanos / 3;
        while (sleep(wait)) {
            wait = renew() ? leaseNanos / 3 : Math.min(RETRY_NANOS, leaseNanos / 3);
        }
    }

    /** One renewal of every live claim; false when the database could not be asked. */
    private boolean renew() {
        List<Lease> leases = claims.stream().filter(lease -> !lease.expired).toList();
        if (leases.isEmpty()) {
            return true;
        }
        long started = System.nanoTime();
        List<OutboundMessage> renewed;
        try {
            renewed = queue.renew(leases.stream().map(Lease::message).toList(), lease);
        } catch (RuntimeException e) {
            trouble.report("cannot renew " + leases.size() + " delivery leases: " + e.getMessage());
            return false;
        }
        Set<OutboundMessage> still = Collections.newSetFromMap(new IdentityHashMap<>());
        still.addAll(renewed);
        for (Lease lease : leases) {
            if (still.contains(lease.message)) {
                lease.endsAt = started + leaseNanos;
            } else {
                lease.lose();
            }
        }
        return true;
    }

    private void watchdog() {
        while (sleep(Math.min(MAX_CHECK_NANOS, marginNanos / 2))) {
            long now = System.nanoTime();
            for (Lease lease : claims) {
                if (now - (lease.endsAt - marginNanos) >= 0) {
                    lease.expire("its lease could not be renewed and is about to run out");
                }
            }
        }
    }

    /** Waits; false once stopped. */
    private boolean sleep(long nanos) {
        try {
            return !stopped.await(nanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** One claimed message's lease, as this process reckons it. */
    final class Lease {
        private final OutboundMessage message;
        /** {@link System#nanoTime} before which the database's lease has surely not run out. */
        private volatile long endsAt;
        private volatile boolean expired;
        private MailSender sending;

        private Lease(OutboundMessage message, long endsAt) {
            this.message = message;
            this.endsAt = endsAt;
        }

        OutboundMessage message() {
            return message;
        }

        /**
         * Marks the send through {@code sender} as started; false when the claim is lost or too
         * close to its end to start (the message is then claimed again once its lease runs out).
         */
        synchronized boolean begin(MailSender sender) {
            if (expired || System.nanoTime() - (endsAt - marginNanos) >= 0) {
                return false;
            }
            sending = sender;
            return true;
        }

        /** The send ended: nothing of it is left to abort. */
        synchronized void end() {
            sending = null;
        }

        /** Whether the claim is still this process's: its outcome may still be recorded. */
        boolean held() {
            return System.nanoTime() - endsAt < 0;
        }

        /** The outcome is recorded (or given up on): no longer renewed. */
        void release() {
            claims.remove(this);
        }

        /** The renewal found the row no longer sending at this attempt. */
        private void lose() {
            endsAt = System.nanoTime();
            expire("another worker has claimed it, or its outcome is recorded");
        }

        private synchronized void expire(String why) {
            if (!expired && sending != null) {
                LogContext.put("message_id", message.id());
                LOG.log(System.Logger.Level.WARNING, "aborting the send of message " + message.id() + ": " + why);
                LogContext.put("message_id", null);
            }
            expired = true;
            if (sending != null) {
                sending.abort();
            }
        }
    }
}
