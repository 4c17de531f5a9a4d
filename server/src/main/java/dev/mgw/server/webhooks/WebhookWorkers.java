package dev.mgw.server.webhooks;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.mgw.core.config.GatewayConfig;
import dev.mgw.core.webhooks.ClaimedDelivery;
import dev.mgw.core.webhooks.WebhookOutbox;
import dev.mgw.core.webhooks.WebhookOutcome;
import dev.mgw.server.observe.LogContext;
import dev.mgw.server.observe.ThrottledLog;
import dev.mgw.server.work.Workers;

/**
 * The webhook workers of this process: {@code WEBHOOK_WORKERS} virtual threads that claim due
 * deliveries in batches, post each one on a virtual thread of its own (a slow endpoint holds up
 * only its own request, for at most {@code WEBHOOK_TIMEOUT_SECONDS}), and record the batch's
 * outcomes in one statement. 2xx is delivered; 410 fails the delivery and disables the endpoint;
 * anything else is tried again on {@link RetrySchedule}, until the last attempt fails.
 */
public final class WebhookWorkers implements AutoCloseable {
    static final int BATCH = 20;
    static final Duration POLL = Duration.ofMillis(500);
    /** Covers the posts of a batch (at most the timeout) and recording them, with room to spare. */
    private static final Duration LEASE_MARGIN = Duration.ofSeconds(30);
    private static final System.Logger LOG = System.getLogger(WebhookWorkers.class.getName());

    private final WebhookOutbox outbox;
    private final WebhookSender sender;
    private final Clock clock;
    private final Listener listener;
    private final Duration timeout;
    private final Duration lease;
    private final Workers<ClaimedDelivery> workers;
    private final ThrottledLog recordTrouble = new ThrottledLog(LOG, Duration.ofSeconds(5));

    /** Told about every recorded outcome: metrics count them. */
    public interface Listener {
        void delivered(Duration eventToDelivered);

        void retried();

        void failed();
    }

    public WebhookWorkers(GatewayConfig.Webhooks settings, WebhookOutbox outbox, Clock clock, Listener listener) {
        this.outbox = outbox;
        this.sender = new WebhookSender(settings, clock);
        this.clock = clock;
        this.listener = listener;
        this.timeout = settings.timeout();
        this.lease = timeout.plus(LEASE_MARGIN);
        this.workers = new Workers<>("webhooks", settings.workers(), POLL, new Workers.Work<>() {
            @Override
            public List<ClaimedDelivery> claim() {
                return outbox.claim(BATCH, lease);
            }

            @Override
            public void process(List<ClaimedDelivery> claimed) {
                deliver(claimed);
            }
        }, LOG);
    }

    public void start() {
        workers.start();
    }

    /** Deliveries were stored here (perhaps in a transaction about to commit): look for them now. */
    public void wake() {
        workers.wake();
    }

    /** Stops claiming; posts in flight get until {@code grace} is over, then their lease brings them back. */
    public boolean stop(Duration grace) {
        boolean finished = workers.stop(grace);
        if (!finished) {
            LOG.log(System.Logger.Level.WARNING, "webhook posts did not finish within " + grace.toSeconds()
                                                 + " s; they are attempted again after their lease runs out");
        }
        return finished;
    }

    /** Stops (if {@link #stop} has not) and closes the HTTP client. */
    @Override
    public void close() {
        if (workers.running()) {
            stop(Duration.ofSeconds(10));
        }
        sender.close();
    }

    /** Posts a claimed batch, each delivery on its own thread, all within the time-out; then records every outcome. */
    private void deliver(List<ClaimedDelivery> batch) {
        long started = System.nanoTime();
        List<FutureTask<WebhookSender.Attempt>> posts = new ArrayList<>(batch.size());
        for (ClaimedDelivery delivery : batch) {
            FutureTask<WebhookSender.Attempt> post = new FutureTask<>(() -> sender.post(delivery));
            Thread.ofVirtual().name("webhook-post-" + delivery.id()).start(post);
            posts.add(post);
        }
        long deadline = started + timeout.toNanos();
        List<WebhookOutcome> outcomes = new ArrayList<>(batch.size());
        List<Runnable> reports = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            ClaimedDelivery delivery = batch.get(i);
            WebhookSender.Attempt attempt = await(posts.get(i), deadline);
            long millis = (System.nanoTime() - started) / 1_000_000;
            WebhookOutcome outcome = outcome(delivery, attempt);
            outcomes.add(outcome);
            reports.add(() -> report(delivery, outcome, millis));
        }
        if (record(outcomes, started + lease.toNanos())) {
            reports.forEach(Runnable::run);
        }
    }

    /** The post's result, or a time-out once the batch's deadline passed (the post is interrupted, closing its socket). */
    private WebhookSender.Attempt await(FutureTask<WebhookSender.Attempt> post, long deadline) {
        try {
            return post.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            post.cancel(true);
            return new WebhookSender.NoAnswer("no answer within " + timeout.toSeconds() + " s");
        } catch (ExecutionException e) {
            return new WebhookSender.NoAnswer(WebhookSender.describe(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            post.cancel(true);
            return new WebhookSender.NoAnswer("the gateway is stopping");
        }
    }

    private WebhookOutcome outcome(ClaimedDelivery delivery, WebhookSender.Attempt attempt) {
        Optional<WebhookOutcome.Response> response = Optional.empty();
        Optional<Duration> retryAfter = Optional.empty();
        String error;
        switch (attempt) {
            case WebhookSender.Answered answered when answered.delivered() -> {
                return new WebhookOutcome.Delivered(delivery.id(), delivery.attempt(),
                                                    new WebhookOutcome.Response(answered.code(), answered.excerpt()));
            }
            case WebhookSender.Answered answered -> {
                response = Optional.of(new WebhookOutcome.Response(answered.code(), answered.excerpt()));
                if (answered.code() == 410) {
                    return new WebhookOutcome.Failed(delivery.id(), delivery.attempt(), response,
                                                     "HTTP 410: the endpoint is gone and was disabled", true);
                }
                retryAfter = answered.retryAfter();
                error = answered.code() >= 300 && answered.code() < 400
                        ? "HTTP " + answered.code() + ": redirects are not followed"
                        : "HTTP " + answered.code();
            }
            case WebhookSender.NoAnswer noAnswer -> error = noAnswer.error();
        }
        Optional<Duration> delay = RetrySchedule.after(delivery.attempt(), retryAfter);
        if (delay.isEmpty()) {
            return new WebhookOutcome.Failed(delivery.id(), delivery.attempt(), response,
                                             "gave up after " + delivery.attempt() + " attempts; last: " + error, false);
        }
        Instant next = clock.instant().plus(delay.get());
        return new WebhookOutcome.Retry(delivery.id(), delivery.attempt(), response, error, next);
    }

    /**
     * The posts happened: their outcomes must be written, or the lease runs out and they go out
     * again. Keeps trying (the database may be briefly away) while the lease lasts.
     */
    private boolean record(List<WebhookOutcome> outcomes, long leaseEnd) {
        while (true) {
            try {
                outbox.record(outcomes);
                return true;
            } catch (RuntimeException e) {
                if (System.nanoTime() + 1_000_000_000L > leaseEnd || !workers.running()) {
                    LOG.log(System.Logger.Level.ERROR, "could not record " + outcomes.size() + " webhook outcomes: "
                                                       + e.getMessage() + "; they are attempted again after their lease");
                    return false;
                }
                recordTrouble.report("cannot record webhook outcomes yet: " + e.getMessage());
                try {
                    Thread.sleep(500);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
    }

    /** One log line per outcome (never the URL, which may carry a token, nor the secret), and the metrics. */
    private void report(ClaimedDelivery delivery, WebhookOutcome outcome, long millis) {
        LogContext.clear();
        LogContext.put("api_key_id", delivery.keyId());
        LogContext.put("webhook_endpoint_id", delivery.endpointId());
        LogContext.put("event_id", delivery.eventId());
        LogContext.put("event_type", delivery.type());
        LogContext.put("attempt", delivery.attempt());
        LogContext.put("duration_ms", millis);
        outcome.response().ifPresent(r -> LogContext.put("response_code", r.code()));
        switch (outcome) {
            case WebhookOutcome.Delivered delivered -> {
                LogContext.put("status", "delivered");
                LOG.log(System.Logger.Level.INFO, "webhook delivered");
                listener.delivered(Duration.between(delivery.createdAt(), clock.instant()));
            }
            case WebhookOutcome.Retry retry -> {
                LogContext.put("status", "retry");
                LogContext.put("error", retry.error());
                LOG.log(System.Logger.Level.WARNING, "webhook will be retried at " + retry.nextAttemptAt());
                listener.retried();
            }
            case WebhookOutcome.Failed failed -> {
                LogContext.put("status", "failed");
                LogContext.put("error", failed.error());
                LOG.log(System.Logger.Level.WARNING, "webhook failed");
                listener.failed();
            }
        }
        LogContext.clear();
    }
}
