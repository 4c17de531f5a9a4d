package dev.mgw.server.delivery;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import dev.mgw.core.config.GatewayConfig;
import dev.mgw.core.config.StartTls;
import dev.mgw.core.messages.Attachments;
import dev.mgw.core.messages.DeliveryOutcome;
import dev.mgw.core.messages.DeliveryQueue;
import dev.mgw.core.messages.OutboundMessage;
import dev.mgw.core.submission.SubmittedMimes;
import dev.mgw.server.observe.LogContext;
import dev.mgw.server.observe.ThrottledLog;

import jakarta.mail.Session;

/**
 * The delivery workers of this process: {@code DELIVERY_WORKERS} virtual threads that claim due
 * messages in small batches ({@value #BATCH}, up to {@value #MAX_BATCH} while sends are quick:
 * {@link #claimSize}) and send them one at a time (over SMTP, or render them in the
 * sandbox), recording each message's outcome, fenced by attempt, as soon as its own send ends
 * ({@link OutcomeRecorder}: one commit for what every worker finished meanwhile).
 * The claims stay this process's while they are worked on, however slow the relay: {@link Leases}
 * renews them and aborts a send whose lease can no longer be renewed. A message accepted here
 * wakes a worker, which gathers for {@value #GATHER_MILLIS} ms before it claims, so that the
 * messages accepted meanwhile share its claim (and their outcomes a commit) instead of each
 * waking a worker of its own. A claim that comes back full wakes another worker, and the worker
 * claims again at once after sending it.
 * Messages accepted by other processes are found by polling every {@value #POLL_MILLIS} ms.
 */
public final class Delivery implements AutoCloseable {
    /** A claim's size while sends are slow (or not yet timed): a slow relay's backlog is shared by the workers. */
    static final int BATCH = 10;
    /** A claim's size at most, reached when sends are quick (sandbox, a nearby relay). */
    static final int MAX_BATCH = 50;
    /**
     * How long a claim's sends should take: a worker whose sends are quick claims as many as fit
     * in this, up to {@link #MAX_BATCH}, so that a quick drain costs one claim per 50 messages
     * instead of per 10 (the claims, their commits and their passes over the due index were what
     * kept delivery from keeping up with acceptance, README Performance); a slow relay's claims
     * stay at {@link #BATCH}, so that one worker does not take work the others could be sending.
     */
    static final long CLAIM_MILLIS = 50;
    static final long POLL_MILLIS = 500;
    /**
     * How long a woken worker waits for more accepted messages before it claims: at a moderate
     * rate one claim then takes what a dozen wake-ups took one commit each for, well within
     * SPEC §6's 100 ms for a message accepted here to start.
     */
    static final long GATHER_MILLIS = 10;
    private static final System.Logger LOG = System.getLogger(Delivery.class.getName());

    private final GatewayConfig config;
    private final DeliveryQueue queue;
    private final Clock clock;
    private final Listener listener;
    private final SmtpHealth health;
    private final Supplier<MailSender> senders;
    private final Backoff backoff;
    private final Leases leases;
    private final OutcomeRecorder outcomes;
    private final Semaphore work = new Semaphore(0);
    /** A wake-up is on its way: a worker claims within {@link #GATHER_MILLIS}, later accepts need not wake another. */
    private final AtomicBoolean gathering = new AtomicBoolean();
    private final List<Thread> workers = new ArrayList<>();
    private final ThrottledLog queueTrouble = new ThrottledLog(LOG, Duration.ofSeconds(5));
    private final long pollMillis;
    private final AtomicLong claims = new AtomicLong();
    private final AtomicInteger largestClaim = new AtomicInteger();
    private volatile boolean running;

    /** Told about every outcome: metrics count them. */
    public interface Listener {
        void sent(OutboundMessage message, Duration acceptToSent);

        void retried(OutboundMessage message);

        void failed(OutboundMessage message);
    }

    public Delivery(GatewayConfig config, DeliveryQueue queue, Attachments attachments, SubmittedMimes submitted,
                    Clock clock, Listener listener) {
        this(config, queue, attachments, submitted, clock, listener, Duration.ofMillis(POLL_MILLIS));
    }

    /** With another poll interval: tests that only wake-ups may start a claim poll rarely. */
    Delivery(GatewayConfig config, DeliveryQueue queue, Attachments attachments, SubmittedMimes submitted,
             Clock clock, Listener listener, Duration poll) {
        this.pollMillis = poll.toMillis();
        this.config = config;
        this.queue = queue;
        this.clock = clock;
        this.listener = listener;
        this.health = new SmtpHealth(config.smtp().sandbox());
        this.backoff = new Backoff(config.delivery().backoff());
        this.leases = new Leases(queue, config.delivery().lease());
        this.outcomes = new OutcomeRecorder(queue);
        Properties properties = sessionProperties(config.smtp());
        MailRenderer renderer = new MailRenderer(Session.getInstance(properties), attachments, submitted);
        this.senders = config.smtp().sandbox()
                ? () -> new SandboxSender(renderer)
                : () -> new SmtpSender(properties, config.smtp(), renderer, health);
    }

    /** Starts the workers. */
    public void start() {
        if (config.smtp().sandbox()) {
            LOG.log(System.Logger.Level.WARNING, "SMTP_HOST is not set: sandbox mode. Messages are rendered and "
                                                 + "marked sent, and nothing leaves this machine.");
        }
        running = true;
        leases.start();
        outcomes.start();
        for (int i = 0; i < config.delivery().workers(); i++) {
            workers.add(Thread.ofVirtual().name("delivery-" + i).start(this::work));
        }
    }

    /**
     * A message was accepted here (and committed): a worker claims it within {@link #GATHER_MILLIS}
     * instead of at its next poll. One wake-up serves every accept until a worker claims: the
     * flag is cleared before the claim, so an accept that found it set committed before that
     * claim began and is in it.
     */
    public void wake() {
        if (gathering.compareAndSet(false, true)) {
            wakeWorker();
        }
    }

    /** Lets one more waiting worker claim, unless every worker already has a wake-up waiting for it. */
    private void wakeWorker() {
        if (work.availablePermits() < workers.size()) {
            work.release();
        }
    }

    public SmtpHealth health() {
        return health;
    }

    /** Claim statements run so far, found something or not (tests). */
    long claims() {
        return claims.get();
    }

    /** The most messages one claim has taken so far (tests). */
    int largestClaim() {
        return largestClaim.get();
    }

    /** Messages this process has claimed and not yet recorded or let go. */
    int claimsHeld() {
        return leases.size();
    }

    /**
     * Stops claiming; messages being sent get until {@code grace} is over, claimed ones not yet
     * started go back to the queue. Returns whether every worker finished in time.
     */
    public boolean stop(Duration grace) {
        running = false;
        work.release(workers.size());
        long deadline = System.nanoTime() + grace.toNanos();
        boolean finished = true;
        for (Thread worker : workers) {
            try {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !worker.join(Duration.ofNanos(left))) {
                    finished = false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                finished = false;
            }
        }
        if (!finished) {
            leases.abortAll();
        }
        if (!outcomes.stop(deadline) || !finished) {
            LOG.log(System.Logger.Level.WARNING, "delivery did not finish within " + grace.toSeconds() + " s; "
                                                 + claimsHeld() + " claimed messages are delivered after their "
                                                 + "lease runs out");
            finished = false;
        }
        leases.stop();
        return finished;
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(10));
    }

    private void work() {
        try (MailSender sender = senders.get()) {
            // the first claim at once: work left from before a restart, or accepted before the workers started
            boolean backlog = true;
            int size = BATCH;
            while (running) {
                if (!backlog) {
                    awaitWork();
                }
                if (!running) {
                    break;
                }
                gathering.set(false);
                long claimed = System.nanoTime();
                List<OutboundMessage> batch;
                try {
                    batch = queue.claim(size, config.delivery().lease());
                    claims.incrementAndGet();
                    largestClaim.accumulateAndGet(batch.size(), Math::max);
                } catch (RuntimeException e) {
                    queueTrouble.report("cannot claim messages: " + e.getMessage());
                    pause(1000);
                    backlog = true;
                    continue;
                }
                backlog = batch.size() == size;
                if (backlog) {
                    // more is due than one claim takes (a batch of 100, a burst): another worker claims meanwhile
                    wakeWorker();
                }
                if (!batch.isEmpty()) {
                    long started = System.nanoTime();
                    deliver(leases.hold(batch, claimed), sender);
                    size = claimSize((System.nanoTime() - started) / batch.size());
                }
            }
        }
    }

    /** The next claim's size after sends of {@code nanosPerMessage} each: {@link #CLAIM_MILLIS} worth. */
    static int claimSize(long nanosPerMessage) {
        long fit = TimeUnit.MILLISECONDS.toNanos(CLAIM_MILLIS) / Math.max(1, nanosPerMessage);
        return Math.clamp(fit, BATCH, MAX_BATCH);
    }

    /** Sends a claimed batch one message at a time; what shutdown leaves unsent goes back to the queue. */
    private void deliver(List<Leases.Lease> batch, MailSender sender) {
        for (Leases.Lease lease : batch) {
            if (running) {
                deliver(lease, sender);
            } else {
                OutboundMessage message = lease.message();
                outcomes.record(lease, new DeliveryOutcome.Released(message.id(), message.attempt(), clock.instant(),
                                                                    message.lastError()), () -> { });
            }
        }
    }

    /** Sends one message and hands its outcome to the recorder at once. */
    private void deliver(Leases.Lease lease, MailSender sender) {
        OutboundMessage message = lease.message();
        List<Runnable> reports = new ArrayList<>(1);
        DeliveryOutcome outcome;
        if (message.attempt() > config.delivery().maxAttempts()) {
            // a worker died after claiming it for the last allowed attempt: no one knows how that one ended
            String error = "gave up after " + config.delivery().maxAttempts() + " attempts; last: "
                           + message.lastError().orElse("the sending worker stopped");
            reports.add(() -> report(message, "failed", error, null));
            outcome = new DeliveryOutcome.Failed(message.id(), message.attempt(), error);
        } else if (lease.begin(sender)) {
            SendResult result;
            try {
                result = sender.send(message);
            } finally {
                lease.end();
            }
            outcome = outcome(message, result, sender.transport(), reports);
        } else {
            queueTrouble.report("message " + message.id() + " not sent: its lease could not be renewed; it is "
                                + "claimed again once the lease runs out");
            lease.release();
            return;
        }
        outcomes.record(lease, outcome, () -> reports.forEach(Runnable::run));
    }

    private DeliveryOutcome outcome(OutboundMessage message, SendResult result, String transport,
                                    List<Runnable> reports) {
        Instant now = clock.instant();
        boolean attemptsLeft = message.attempt() < config.delivery().maxAttempts();
        return switch (result) {
            case SendResult.Delivered delivered when attemptsLeft
                                                     && delivered.refused().stream().anyMatch(r -> !r.permanent()) -> {
                // taken for some, refused for now for others: those are tried again, the rest are settled
                Instant next = now.plus(backoff.after(message.attempt()));
                String error = delivered.note().orElseThrow();
                reports.add(() -> report(message, "retry", error, "next attempt at " + next));
                yield new DeliveryOutcome.Retry(message.id(), message.attempt(), error, next,
                                                Optional.of(delivered.reply()), delivered.accepted(),
                                                delivered.refused());
            }
            case SendResult.Delivered delivered -> {
                reports.add(() -> report(message, "sent", delivered.note().orElse(null), delivered.reply().text()));
                yield new DeliveryOutcome.Sent(message.id(), message.attempt(), now, transport,
                                               message.messageIdHeader(), delivered.note(),
                                               Optional.of(delivered.reply()), delivered.accepted(),
                                               delivered.refused());
            }
            case SendResult.Transient failure when attemptsLeft -> {
                Instant next = now.plus(backoff.after(message.attempt()));
                reports.add(() -> report(message, "retry", failure.error(), "next attempt at " + next));
                yield new DeliveryOutcome.Retry(message.id(), message.attempt(), failure.error(), next, failure.reply(),
                                                List.of(), failure.refused());
            }
            case SendResult.Transient failure -> {
                String error = "gave up after " + message.attempt() + " attempts; last: " + failure.error();
                reports.add(() -> report(message, "failed", error, null));
                yield new DeliveryOutcome.Failed(message.id(), message.attempt(), error, failure.reply(),
                                                 failure.refused());
            }
            case SendResult.Permanent failure -> {
                reports.add(() -> report(message, "failed", failure.error(), null));
                yield new DeliveryOutcome.Failed(message.id(), message.attempt(), failure.error(), failure.reply(),
                                                 failure.refused());
            }
        };
    }

    /** One log line per outcome, carrying the request id of the request that accepted the message. */
    private void report(OutboundMessage message, String status, String error, String detail) {
        LogContext.clear();
        message.requestId().ifPresent(id -> LogContext.put("request_id", id));
        LogContext.put("api_key_id", message.keyId());
        LogContext.put("message_id", message.id());
        LogContext.put("recipient", String.join(", ", message.envelopeRecipients()));
        LogContext.put("status", status);
        LogContext.put("attempt", message.attempt());
        if (error != null) {
            LogContext.put("error", error);
        }
        switch (status) {
            case "sent" -> {
                Duration latency = Duration.between(message.createdAt(), clock.instant());
                LogContext.put("duration_ms", latency.toMillis());
                LOG.log(System.Logger.Level.INFO, "message sent" + (detail == null ? "" : ": " + detail));
                listener.sent(message, latency);
            }
            case "retry" -> {
                LOG.log(System.Logger.Level.WARNING, "message will be retried: " + detail);
                listener.retried(message);
            }
            default -> {
                LOG.log(System.Logger.Level.WARNING, "message failed");
                listener.failed(message);
            }
        }
        LogContext.clear();
    }

    /**
     * Waits for a wake-up or the next poll; after a wake-up, gathers for {@link #GATHER_MILLIS}
     * so that the claim takes what is accepted meanwhile too.
     */
    private void awaitWork() {
        if (pause(pollMillis) && running) {
            try {
                Thread.sleep(GATHER_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running = false;
            }
        }
    }

    /** Waits up to {@code millis} for a wake-up; true when one came. */
    private boolean pause(long millis) {
        try {
            return work.tryAcquire(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
            return false;
        }
    }

    /** Angus Mail session settings from SPEC §3: timeouts always set, STARTTLS as configured. */
    static Properties sessionProperties(GatewayConfig.Smtp smtp) {
        String prefix = "mail." + SmtpSender.protocol(smtp) + ".";
        String timeout = String.valueOf(smtp.timeout().toMillis());
        Properties properties = new Properties();
        properties.setProperty(prefix + "connectiontimeout", timeout);
        properties.setProperty(prefix + "timeout", timeout);
        properties.setProperty(prefix + "writetimeout", timeout);
        properties.setProperty(prefix + "auth", String.valueOf(smtp.username().isPresent()));
        properties.setProperty(prefix + "sendpartial", "true");
        properties.setProperty(prefix + "quitwait", "false");
        properties.setProperty(prefix + "localhost", heloName(smtp));
        if (!smtp.ssl()) {
            properties.setProperty(prefix + "starttls.enable", String.valueOf(smtp.startTls() != StartTls.OFF));
            properties.setProperty(prefix + "starttls.required", String.valueOf(smtp.startTls() == StartTls.REQUIRED));
        } else {
            properties.setProperty(prefix + "ssl.enable", "true");
            properties.setProperty(prefix + "ssl.checkserveridentity", "true");
        }
        return properties;
    }

    /** The EHLO name: this host's name when it has a dot, else the sender domain (no DNS lookup). */
    private static String heloName(GatewayConfig.Smtp smtp) {
        String host = Optional.ofNullable(System.getenv("HOSTNAME")).orElseGet(() -> {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (Exception e) {
                return "";
            }
        });
        if (host.contains(".")) {
            return host.toLowerCase(Locale.ROOT);
        }
        String from = smtp.fromAddress();
        String domain = from.substring(from.lastIndexOf('@') + 1).replace(">", "").strip();
        return domain.isEmpty() ? "localhost" : domain;
    }
}
