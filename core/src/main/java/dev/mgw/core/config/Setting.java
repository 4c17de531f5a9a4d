package dev.mgw.core.config;

/**
 * Every configuration setting: its environment name (the contract, SPEC §3), its key in
 * {@code mgw.yaml} and in system properties, and its built-in default ({@code null} = unset).
 */
public enum Setting {
    DATABASE_URL("database.url", "postgresql://postgres@127.0.0.1:5432/mailgateway"),
    DATABASE_ECHO("database.echo", "false"),
    DATABASE_POOL_SIZE("database.pool-size", "8"),
    DATABASE_MIGRATE("database.migrate", "true"),
    SERVER_HOST("server.host", "0.0.0.0"),
    SERVER_PORT("server.port", "8000"),
    SMTP_HOST("smtp.host", null),
    SMTP_PORT("smtp.port", "587"),
    SMTP_USERNAME("smtp.username", null),
    SMTP_PASSWORD("smtp.password", null),
    SMTP_STARTTLS("smtp.starttls", null),
    SMTP_SSL("smtp.ssl", "false"),
    SMTP_FROM_ADDRESS("smtp.from-address", null),
    SMTP_TIMEOUT_SECONDS("smtp.timeout-seconds", "10"),
    ALLOWED_FROM_DOMAINS("allowed-from-domains", null),
    ALLOW_DOMAINS("allow-domains", ""),
    DELIVERY_WORKERS("delivery.workers", "4"),
    DELIVERY_MAX_ATTEMPTS("delivery.max-attempts", "8"),
    DELIVERY_BACKOFF_SECONDS("delivery.backoff-seconds", "30"),
    DELIVERY_LEASE_SECONDS("delivery.lease-seconds", "30"),
    AUTH_CACHE_SECONDS("auth.cache-seconds", "60"),
    CORS_ORIGINS("cors.origins", ""),
    MAX_REQUEST_SIZE("max-request-size", "262144"),
    TRUSTED_PROXIES("trusted-proxies", ""),
    SUPPRESS_HARD_BOUNCES("suppress-hard-bounces", "true"),
    WEBHOOK_WORKERS("webhooks.workers", "4"),
    WEBHOOK_TIMEOUT_SECONDS("webhooks.timeout-seconds", "10"),
    WEBHOOK_ALLOW_HTTP("webhooks.allow-http", "false"),
    WEBHOOK_ALLOW_PRIVATE("webhooks.allow-private", "false"),
    MAX_ATTACHMENT_BYTES("attachments.max-bytes", "10485760"),
    BLOCKED_ATTACHMENT_EXTENSIONS("attachments.blocked-extensions",
                                  "exe,bat,cmd,com,scr,pif,vbs,vbe,js,jse,wsf,wsh,msi,msp,cpl,jar,ps1,hta,lnk,reg"),
    BATCH_MAX_MESSAGES("batch.max-messages", "100"),
    SMTP_SUBMISSION_PORT("smtp-submission.port", null),
    SMTP_SUBMISSION_TLS_CERT("smtp-submission.tls-cert", null),
    SMTP_SUBMISSION_TLS_KEY("smtp-submission.tls-key", null),
    SMTP_SUBMISSION_ALLOW_INSECURE_AUTH("smtp-submission.allow-insecure-auth", "false"),
    SMTP_SUBMISSION_MAX_CONNECTIONS("smtp-submission.max-connections", "100"),
    RETENTION_BODY_DAYS("retention.body-days", "7"),
    RETENTION_DAYS("retention.days", "30"),
    LOG_LEVEL("log.level", "INFO"),
    LOG_JSON("log.json", "true");

    private final String key;
    private final String defaultValue;

    Setting(String key, String defaultValue) {
        this.key = key;
        this.defaultValue = defaultValue;
    }

    /** The environment variable name, e.g. {@code DATABASE_URL}. */
    public String env() {
        return name();
    }

    /** The key in {@code mgw.yaml} and the system property name, e.g. {@code database.url}. */
    public String key() {
        return key;
    }

    public String defaultValue() {
        return defaultValue;
    }

    /** Whether the value is a credential that is masked wherever settings are shown. */
    public boolean secret() {
        return this == SMTP_PASSWORD;
    }
}
