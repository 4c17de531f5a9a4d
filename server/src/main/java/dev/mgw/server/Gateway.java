package dev.mgw.server;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import dev.mgw.core.config.GatewayConfig;
import dev.mgw.core.db.Database;
import dev.mgw.core.db.Migrations;
import dev.mgw.core.events.Timeline;
import dev.mgw.core.keys.ApiKeys;
import dev.mgw.core.keys.KeySecrets;
import dev.mgw.core.messages.Attachments;
import dev.mgw.core.messages.BatchOutbox;
import dev.mgw.core.messages.Cancellations;
import dev.mgw.core.messages.DeliveryQueue;
import dev.mgw.core.messages.Messages;
import dev.mgw.core.messages.OutboundMessage;
import dev.mgw.core.messages.Outbox;
import dev.mgw.core.quota.Quota;
import dev.mgw.core.submission.SubmittedMimes;
import dev.mgw.core.suppressions.Suppressions;
import dev.mgw.core.retention.Retention;
import dev.mgw.core.upkeep.QueueVacuum;
import dev.mgw.core.webhooks.EndpointRules;
import dev.mgw.core.webhooks.WebhookEndpoints;
import dev.mgw.core.webhooks.WebhookOutbox;
import dev.mgw.server.api.Admission;
import dev.mgw.server.api.ApiService;
import dev.mgw.server.api.BodyBudget;
import dev.mgw.server.api.SendRequestParser;
import dev.mgw.server.api.WebhooksService;
import dev.mgw.server.auth.Authenticator;
import dev.mgw.server.delivery.Delivery;
import dev.mgw.server.delivery.MailStreams;
import dev.mgw.server.observe.GatewayMetrics;
import dev.mgw.server.submission.SubmissionListener;
import dev.mgw.server.suppressions.SuppressionsService;
import dev.mgw.server.retention.RetentionWorker;
import dev.mgw.server.upkeep.QueueVacuumWorker;
import dev.mgw.server.webhooks.WebhookWorkers;

/**
 * One gateway process: its configuration, its one database client and the components built on
 * them. {@link Main} creates it, routes requests to it and closes it on shutdown; tests do the same.
 */
public final class Gateway implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Gateway.class.getName());
    private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(10);
    /** Retention and the queue vacuum together: a retention batch is one short transaction, a vacuum ends on its own. */
    private static final Duration UPKEEP_GRACE = Duration.ofSeconds(2);

    private final GatewayConfig config;
    private final Clock clock;
    private final Database database;
    private final List<String> changeSetIds;
    private final ApiKeys keys;
    private final Authenticator authenticator;
    private final Admission admission;
    private final ApiService api;
    private final Delivery delivery;
    private final WebhookOutbox webhookOutbox;
    private final Timeline timeline;
    private final Suppressions suppressions;
    private final WebhookWorkers webhooks;
    private final WebhooksService webhooksApi;
    private final SuppressionsService suppressionsApi;
    private final GatewayMetrics metrics;
    private final RetentionWorker retention;
    private final QueueVacuumWorker queueVacuum;
    private final BodyBudget bodyBudget;
    private final Optional<SubmissionListener> submission;
    private volatile boolean stopping;

    private Gateway(GatewayConfig config, Clock clock, Database database, BodyBudget bodyBudget) {
        this.config = config;
        this.clock = clock;
        this.database = database;
        this.changeSetIds = Migrations.changeSetIds();
        this.metrics = new GatewayMetrics();
        this.keys = new ApiKeys(database, new KeySecrets(), clock);
        this.webhookOutbox = new WebhookOutbox(database, clock, this::wakeWebhooks);
        this.webhooks = new WebhookWorkers(config.webhooks(), webhookOutbox, clock, new WebhookWorkers.Listener() {
            @Override
            public void delivered(Duration eventToDelivered) {
                metrics.webhook("delivered");
                metrics.webhookDelivered(eventToDelivered);
            }

            @Override
            public void retried() {
                metrics.webhook("retry");
            }

            @Override
            public void failed() {
                metrics.webhook("failed");
            }
        });
        this.bodyBudget = bodyBudget;
        this.timeline = new Timeline(database, webhookOutbox, clock);
        this.suppressions = new Suppressions(database);
        DeliveryQueue queue = new DeliveryQueue(database, timeline, suppressions, config.suppressHardBounces());
        this.retention = new RetentionWorker(new Retention(database, clock, config.retention()));
        this.queueVacuum = new QueueVacuumWorker(new QueueVacuum(database));
        Attachments attachments = new Attachments(database);
        SubmittedMimes submittedMimes = new SubmittedMimes(database);
        this.delivery = new Delivery(config, queue, attachments, submittedMimes, clock, new Delivery.Listener() {
            @Override
            public void sent(OutboundMessage message, Duration acceptToSent) {
                metrics.send("sent");
                metrics.delivered(acceptToSent);
            }

            @Override
            public void retried(OutboundMessage message) {
                metrics.send("retry");
            }

            @Override
            public void failed(OutboundMessage message) {
                metrics.send("failed");
            }
        });
        this.authenticator = new Authenticator(keys, new KeySecrets(), config.authCache(), clock, metrics::authFailure);
        metrics.bcryptChecks(authenticator::bcryptChecks);
        metrics.queueDepth(queue::depth);
        metrics.oldestQueuedAge(queue::oldestDueAgeSeconds);
        metrics.webhookQueueDepth(webhookOutbox::depth);
        metrics.pool(database);
        Quota quota = new Quota(database);
        this.admission = new Admission(database);
        ApiService.SendListener sends = new ApiService.SendListener() {
            @Override
            public void accepted(UUID messageId, int recipients) {
                metrics.rateLimit(true);
                metrics.send("queued");
                delivery.wake();
            }

            @Override
            public void overQuota() {
                metrics.rateLimit(false);
            }
        };
        Outbox outbox = new Outbox(database, quota, attachments, suppressions, timeline, clock);
        this.api = new ApiService(admission,
                                  authenticator,
                                  new SendRequestParser(config.smtp().fromAddress(), config.allowedFromDomains(),
                                                        config.allowDomains(), config.attachments(),
                                                        config.batchMaxMessages(), clock),
                                  outbox,
                                  new BatchOutbox(database, quota, attachments, suppressions, timeline, clock),
                                  new Messages(database),
                                  timeline,
                                  new Cancellations(database, timeline, clock),
                                  quota,
                                  sends,
                                  config.maxRequestSize(),
                                  bodyBudget,
                                  clock);
        this.webhooksApi = new WebhooksService(admission, authenticator,
                                               new WebhookEndpoints(database, new EndpointRules(config.webhooks()),
                                                                    webhookOutbox),
                                               webhookOutbox, config.maxRequestSize(), clock);
        this.suppressionsApi = new SuppressionsService(admission, authenticator, suppressions, config.maxRequestSize(),
                                                       clock);
        this.submission = config.submission().enabled()
                ? Optional.of(new SubmissionListener(config, authenticator, outbox, bodyBudget,
                                                     (keyId, address) -> suppressions.isSuppressed(keyId, address.address()),
                                                     sends, clock, metrics::submissionSession))
                : Optional.empty();
    }

    /**
     * Builds the gateway, applying the schema first when {@code DATABASE_MIGRATE} is on; request
     * bodies get a share of this JVM's heap ({@link BodyBudget#ofHeap()}).
     */
    public static Gateway create(GatewayConfig config, Clock clock) {
        return create(config, clock, BodyBudget.ofHeap());
    }

    /** As {@link #create(GatewayConfig, Clock)}, with the memory for request bodies given (tests make it small). */
    static Gateway create(GatewayConfig config, Clock clock, BodyBudget bodyBudget) {
        MailStreams.useAngus();
        if (config.database().migrate()) {
            long started = System.nanoTime();
            boolean migrated = new Migrations(config.database().target()).migrateIfNeeded();
            LOG.log(System.Logger.Level.INFO, "schema is current (" + (migrated ? "checked and migrated" : "checked")
                                              + " in " + (System.nanoTime() - started) / 1_000_000 + " ms)");
        }
        return new Gateway(config, clock, Database.open(config.database()), bodyBudget);
    }

    /**
     * Starts the delivery, webhook, retention and queue-vacuum workers, and the SMTP submission
     * listener when it is configured.
     */
    public void start() {
        delivery.start();
        webhooks.start();
        retention.start();
        queueVacuum.start();
        submission.ifPresent(SubmissionListener::start);
    }

    /** The SMTP submission listener, when {@code SMTP_SUBMISSION_PORT} is set. */
    public Optional<SubmissionListener> submission() {
        return submission;
    }

    public GatewayConfig config() {
        return config;
    }

    public Clock clock() {
        return clock;
    }

    public Database database() {
        return database;
    }

    public ApiService api() {
        return api;
    }

    public Authenticator authenticator() {
        return authenticator;
    }

    public Delivery delivery() {
        return delivery;
    }

    /** Where events become webhook deliveries: {@link WebhookOutbox#enqueue} in the transaction of the change. */
    public WebhookOutbox webhookOutbox() {
        return webhookOutbox;
    }

    /** Where a message's events are recorded ({@link Timeline#record}) in the transaction of their change. */
    public Timeline timeline() {
        return timeline;
    }

    public Suppressions suppressions() {
        return suppressions;
    }

    public SuppressionsService suppressionsApi() {
        return suppressionsApi;
    }

    public WebhooksService webhooksApi() {
        return webhooksApi;
    }

    public RetentionWorker retention() {
        return retention;
    }

    public GatewayMetrics metrics() {
        return metrics;
    }

    public BodyBudget bodyBudget() {
        return bodyBudget;
    }

    /** Whether every changeset is applied: part of readiness. */
    public boolean schemaCurrent() {
        return Migrations.isCurrent(database, changeSetIds);
    }

    /** {@code SANDBOX} without a relay, else {@code UP} or {@code DOWN} from the latest connection attempts. */
    public String smtpHealth() {
        return delivery.health().state();
    }

    private void wakeWebhooks() {
        webhooks.wake();
    }

    /** Readiness turns 503 from here on. */
    public void beginShutdown() {
        stopping = true;
    }

    public boolean stopping() {
        return stopping;
    }

    /**
     * Stops delivery (in-flight sends get up to 10 s, unsent claims go back to the queue) and the
     * webhook workers (posts in flight get what is left of those 10 s), retention (a batch in
     * flight is one short transaction) and the queue vacuum (a vacuum in flight ends on its own
     * connection), the two within {@link #UPKEEP_GRACE}, then the rest.
     */
    @Override
    public void close() {
        stopping = true;
        submission.ifPresent(SubmissionListener::close);
        long started = System.nanoTime();
        delivery.stop(SHUTDOWN_GRACE);
        webhooks.stop(SHUTDOWN_GRACE.minusNanos(System.nanoTime() - started));
        webhooks.close();
        long upkeep = System.nanoTime();
        retention.stop(UPKEEP_GRACE);
        queueVacuum.stop(UPKEEP_GRACE.minusNanos(System.nanoTime() - upkeep));
        authenticator.close();
        admission.close();
        metrics.close();
        database.close();
    }
}
