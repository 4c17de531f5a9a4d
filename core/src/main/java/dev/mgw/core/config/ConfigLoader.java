package dev.mgw.core.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.Set;
import java.util.logging.Level;
import java.util.stream.Collectors;

import dev.mgw.core.messages.EmailAddress;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

/**
 * Resolves every {@link Setting}: built-in default &lt; file ({@code MGW_CONFIG}, else
 * {@code etc/mgw.yaml} when present) &lt; system property (the file key, e.g. {@code -Ddatabase.url=})
 * &lt; environment variable. An empty value counts as unset.
 */
public final class ConfigLoader {
    /** Environment variable naming the configuration file. */
    public static final String CONFIG_FILE_ENV = "MGW_CONFIG";
    private static final Path DEFAULT_FILE = Path.of("etc", "mgw.yaml");

    private final Map<Setting, String> values;
    private final Map<Setting, String> origins;
    private final Optional<Path> file;

    private ConfigLoader(Map<Setting, String> values, Map<Setting, String> origins, Optional<Path> file) {
        this.values = values;
        this.origins = origins;
        this.file = file;
    }

    /** The configuration of this process: real environment, system properties and file. */
    public static GatewayConfig load() {
        return load(System.getenv(), System.getProperties());
    }

    /** As {@link #load()}, with the given environment (e.g. with {@code mgw --database-url} applied). */
    public static GatewayConfig load(Map<String, String> env, Properties systemProperties) {
        return resolve(env, systemProperties).build();
    }

    private static ConfigLoader resolve(Map<String, String> env, Properties systemProperties) {
        Map<Setting, String> values = new EnumMap<>(Setting.class);
        Map<Setting, String> origins = new EnumMap<>(Setting.class);
        Optional<Path> path = configPath(env);
        Optional<Config> file = path.map(ConfigLoader::readFile);
        for (Setting setting : Setting.values()) {
            String fromEnv = env.get(setting.env());
            String fromProperty = systemProperties.getProperty(setting.key());
            Optional<String> fromFile = file.flatMap(f -> fileValue(f, setting));
            if (present(fromEnv)) {
                values.put(setting, fromEnv);
                origins.put(setting, "environment");
            } else if (present(fromProperty)) {
                values.put(setting, fromProperty);
                origins.put(setting, "system property " + setting.key());
            } else if (fromFile.isPresent() && present(fromFile.get())) {
                values.put(setting, fromFile.get());
                origins.put(setting, "file");
            } else if (setting.defaultValue() != null) {
                values.put(setting, setting.defaultValue());
                origins.put(setting, "default");
            }
        }
        return new ConfigLoader(values, origins, path);
    }

    /** A configuration from these values alone (environment names), defaults for the rest: for tests and tools. */
    public static GatewayConfig fromValues(Map<String, String> env) {
        Map<String, String> isolated = new HashMap<>(env);
        isolated.putIfAbsent(CONFIG_FILE_ENV, "");
        return load(isolated, new Properties());
    }

    private GatewayConfig build() {
        GatewayConfig.Database database = database();
        GatewayConfig.Server server = new GatewayConfig.Server(string(Setting.SERVER_HOST).orElseThrow(),
                                                               integer(Setting.SERVER_PORT, 1, 65535));
        GatewayConfig.Smtp smtp = smtp();
        List<String> allowedFrom = domains(Setting.ALLOWED_FROM_DOMAINS);
        if (allowedFrom.isEmpty()) {
            allowedFrom = List.of(EmailAddress.parseMailbox(smtp.fromAddress(), false).address().domain());
        }
        GatewayConfig.Delivery delivery = new GatewayConfig.Delivery(
                integer(Setting.DELIVERY_WORKERS, 0, 256),
                integer(Setting.DELIVERY_MAX_ATTEMPTS, 1, 100),
                Duration.ofSeconds(integer(Setting.DELIVERY_BACKOFF_SECONDS, 1, 86_400)),
                Duration.ofSeconds(integer(Setting.DELIVERY_LEASE_SECONDS, 5, 86_400)));
        checkLease(delivery, smtp);
        return new GatewayConfig(database,
                                 server,
                                 smtp,
                                 delivery,
                                 allowedFrom,
                                 domains(Setting.ALLOW_DOMAINS),
                                 Duration.ofSeconds(integer(Setting.AUTH_CACHE_SECONDS, 0, 86_400)),
                                 origins(),
                                 integer(Setting.MAX_REQUEST_SIZE, 1024, 64 * 1024 * 1024),
                                 trustedProxies(),
                                 bool(Setting.SUPPRESS_HARD_BOUNCES),
                                 webhooks(),
                                 attachments(),
                                 integer(Setting.BATCH_MAX_MESSAGES, 1, 500),
                                 submission(),
                                 retention(),
                                 level(),
                                 bool(Setting.LOG_JSON),
                                 file);
    }

    /**
     * What {@code mgw} needs, and only that is read and checked: a tool that never relays mail
     * does not ask for a relay's settings (SPEC §7).
     */
    public static ToolConfig loadTool(Map<String, String> env, Properties systemProperties) {
        ConfigLoader loader = resolve(env, systemProperties);
        return new ToolConfig(loader.database(), loader.webhooks(), loader.retention(), loader.level());
    }

    /** The settings {@code mgw} uses. */
    public record ToolConfig(GatewayConfig.Database database,
                             GatewayConfig.Webhooks webhooks,
                             GatewayConfig.Retention retention,
                             Level logLevel) {
    }

    private GatewayConfig.Database database() {
        return new GatewayConfig.Database(DatabaseUrl.parse(values.get(Setting.DATABASE_URL)),
                                          bool(Setting.DATABASE_ECHO),
                                          integer(Setting.DATABASE_POOL_SIZE, 1, 500),
                                          bool(Setting.DATABASE_MIGRATE));
    }

    /**
     * A worker renews its claim while a send runs; should renewing fail (the database away), the
     * send must end on its own before the lease does, or another worker could claim the message
     * while the relay still holds it. A lease of at least twice the SMTP timeout leaves a whole
     * stalled SMTP command, and the renewal that failed before it, inside the lease.
     */
    private void checkLease(GatewayConfig.Delivery delivery, GatewayConfig.Smtp smtp) {
        long lease = delivery.lease().toSeconds();
        long timeout = smtp.timeout().toSeconds();
        if (!smtp.sandbox() && lease < 2 * timeout) {
            throw problem(Setting.DELIVERY_LEASE_SECONDS, lease + " s is too short for SMTP_TIMEOUT_SECONDS=" + timeout
                                                          + "; the lease must be at least twice the SMTP timeout ("
                                                          + 2 * timeout + " s)");
        }
    }

    private List<AddressRange> trustedProxies() {
        List<AddressRange> ranges = new ArrayList<>();
        for (String entry : list(Setting.TRUSTED_PROXIES)) {
            try {
                ranges.add(AddressRange.parse(entry));
            } catch (IllegalArgumentException e) {
                throw problem(Setting.TRUSTED_PROXIES, e.getMessage());
            }
        }
        return ranges;
    }

    private GatewayConfig.Webhooks webhooks() {
        return new GatewayConfig.Webhooks(integer(Setting.WEBHOOK_WORKERS, 0, 256),
                                          Duration.ofSeconds(integer(Setting.WEBHOOK_TIMEOUT_SECONDS, 1, 60)),
                                          bool(Setting.WEBHOOK_ALLOW_HTTP),
                                          bool(Setting.WEBHOOK_ALLOW_PRIVATE));
    }

    private GatewayConfig.Attachments attachments() {
        Set<String> blocked = new LinkedHashSet<>();
        for (String extension : list(Setting.BLOCKED_ATTACHMENT_EXTENSIONS)) {
            String bare = extension.startsWith(".") ? extension.substring(1) : extension;
            if (!bare.matches("[A-Za-z0-9_-]{1,20}")) {
                throw problem(Setting.BLOCKED_ATTACHMENT_EXTENSIONS, "\"" + extension + "\" is not a file name extension");
            }
            blocked.add(bare.toLowerCase(Locale.ROOT));
        }
        return new GatewayConfig.Attachments(integer(Setting.MAX_ATTACHMENT_BYTES, 1, 64 * 1024 * 1024), blocked);
    }

    private GatewayConfig.Submission submission() {
        OptionalInt port = string(Setting.SMTP_SUBMISSION_PORT).isPresent()
                ? OptionalInt.of(integer(Setting.SMTP_SUBMISSION_PORT, 1, 65535))
                : OptionalInt.empty();
        Optional<Path> certificate = readableFile(Setting.SMTP_SUBMISSION_TLS_CERT);
        Optional<Path> key = readableFile(Setting.SMTP_SUBMISSION_TLS_KEY);
        if (certificate.isPresent() && key.isEmpty()) {
            throw problem(Setting.SMTP_SUBMISSION_TLS_KEY, "must be set when SMTP_SUBMISSION_TLS_CERT is");
        }
        if (key.isPresent() && certificate.isEmpty()) {
            throw problem(Setting.SMTP_SUBMISSION_TLS_CERT, "must be set when SMTP_SUBMISSION_TLS_KEY is");
        }
        return new GatewayConfig.Submission(port, certificate, key, bool(Setting.SMTP_SUBMISSION_ALLOW_INSECURE_AUTH),
                                            integer(Setting.SMTP_SUBMISSION_MAX_CONNECTIONS, 1, 10_000));
    }

    private Optional<Path> readableFile(Setting setting) {
        Optional<Path> path = string(setting).map(Path::of);
        path.ifPresent(p -> {
            if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
                throw problem(setting, p + " is not a readable file");
            }
        });
        return path;
    }

    private GatewayConfig.Retention retention() {
        int bodyDays = integer(Setting.RETENTION_BODY_DAYS, 1, 36_500);
        int days = integer(Setting.RETENTION_DAYS, 1, 36_500);
        if (days < bodyDays) {
            throw problem(Setting.RETENTION_DAYS, days + " is shorter than RETENTION_BODY_DAYS (" + bodyDays
                                                  + "); messages cannot go before their bodies");
        }
        return new GatewayConfig.Retention(bodyDays, days);
    }

    private GatewayConfig.Smtp smtp() {
        Optional<String> host = string(Setting.SMTP_HOST);
        host.ifPresent(h -> {
            if (!h.matches("[A-Za-z0-9._-]+|\\[[0-9A-Fa-f:.]+]")) {
                throw problem(Setting.SMTP_HOST, "\"" + h + "\" is not a host name or address");
            }
        });
        Optional<String> username = string(Setting.SMTP_USERNAME);
        Secret password = Secret.of(string(Setting.SMTP_PASSWORD).orElse(""));
        if (username.isEmpty() && !password.isEmpty()) {
            throw problem(Setting.SMTP_PASSWORD, "is set but SMTP_USERNAME is not");
        }
        StartTls startTls = string(Setting.SMTP_STARTTLS)
                .map(StartTls::parse)
                .orElse(username.isPresent() ? StartTls.REQUIRED : StartTls.OPPORTUNISTIC);
        boolean ssl = bool(Setting.SMTP_SSL);
        int port = "default".equals(origins.get(Setting.SMTP_PORT)) && ssl ? 465 : integer(Setting.SMTP_PORT, 1, 65535);
        Optional<String> from = string(Setting.SMTP_FROM_ADDRESS);
        if (host.isPresent() && from.isEmpty()) {
            throw problem(Setting.SMTP_FROM_ADDRESS, "must be set when SMTP_HOST is");
        }
        String fromAddress = from.orElse("noreply@localhost");
        try {
            EmailAddress.Mailbox mailbox = EmailAddress.parseMailbox(fromAddress, false);
            if (host.isPresent() && !mailbox.address().domain().contains(".")) {
                throw new IllegalArgumentException("needs a domain with a dot when mail leaves this machine");
            }
        } catch (IllegalArgumentException e) {
            throw problem(Setting.SMTP_FROM_ADDRESS, "\"" + fromAddress + "\" " + e.getMessage());
        }
        return new GatewayConfig.Smtp(host, port, username, password, startTls, ssl, fromAddress,
                                      Duration.ofSeconds(integer(Setting.SMTP_TIMEOUT_SECONDS, 1, 600)));
    }

    private Optional<String> string(Setting setting) {
        String value = values.get(setting);
        return present(value) ? Optional.of(value.strip()) : Optional.empty();
    }

    private boolean bool(Setting setting) {
        String value = string(setting).orElseThrow().toLowerCase(Locale.ROOT);
        return switch (value) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default -> throw problem(setting, "\"" + values.get(setting) + "\" is not true or false");
        };
    }

    private int integer(Setting setting, int min, int max) {
        String value = string(setting).orElseThrow();
        long parsed;
        try {
            parsed = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw problem(setting, "\"" + value + "\" is not a whole number");
        }
        if (parsed < min || parsed > max) {
            throw problem(setting, value + " is out of range (" + min + "-" + max + ")");
        }
        return (int) parsed;
    }

    private List<String> list(Setting setting) {
        return string(setting)
                .map(v -> Arrays.stream(v.split(","))
                        .map(String::strip)
                        .filter(s -> !s.isEmpty())
                        .toList())
                .orElse(List.of());
    }

    private List<String> domains(Setting setting) {
        Set<String> domains = new LinkedHashSet<>();
        for (String domain : list(setting)) {
            try {
                domains.add(EmailAddress.asciiDomain(domain, false));
            } catch (IllegalArgumentException e) {
                throw problem(setting, e.getMessage());
            }
        }
        return List.copyOf(domains);
    }

    private List<String> origins() {
        List<String> origins = new ArrayList<>();
        for (String origin : list(Setting.CORS_ORIGINS)) {
            if (!origin.matches("https?://[A-Za-z0-9.-]+(:\\d{1,5})?")) {
                throw problem(Setting.CORS_ORIGINS,
                              "\"" + origin + "\" is not an origin such as https://app.example.com");
            }
            origins.add(origin.toLowerCase(Locale.ROOT));
        }
        return origins;
    }

    private Level level() {
        String value = string(Setting.LOG_LEVEL).orElseThrow().toUpperCase(Locale.ROOT);
        return switch (value) {
            case "TRACE", "FINEST" -> Level.FINEST;
            case "DEBUG", "FINE" -> Level.FINE;
            case "INFO" -> Level.INFO;
            case "WARN", "WARNING" -> Level.WARNING;
            case "ERROR", "SEVERE" -> Level.SEVERE;
            case "OFF" -> Level.OFF;
            default -> throw problem(Setting.LOG_LEVEL,
                                     "\"" + values.get(Setting.LOG_LEVEL) + "\" is not one of TRACE, DEBUG, INFO, WARN, ERROR, OFF");
        };
    }

    private ConfigException problem(Setting setting, String problem) {
        String origin = origins.getOrDefault(setting, "default");
        String where = origin.equals("environment") || origin.equals("default") ? "" : " (from " + origin + ")";
        return new ConfigException(setting.env() + where + ": " + problem);
    }

    /** The file to read: the one {@code MGW_CONFIG} names (none when it is empty), else {@code etc/mgw.yaml} when present. */
    private static Optional<Path> configPath(Map<String, String> env) {
        String named = env.get(CONFIG_FILE_ENV);
        if (named == null) {
            return Files.isRegularFile(DEFAULT_FILE) ? Optional.of(DEFAULT_FILE) : Optional.empty();
        }
        if (named.isBlank()) {
            return Optional.empty();
        }
        Path path = Path.of(named);
        if (!Files.isRegularFile(path)) {
            throw new ConfigException(CONFIG_FILE_ENV + ": " + named + " is not a readable file");
        }
        return Optional.of(path);
    }

    private static Config readFile(Path path) {
        Config config;
        try {
            config = Config.just(ConfigSources.file(path));
            config.traverse().count();
        } catch (io.helidon.config.ConfigException e) {
            throw new ConfigException(CONFIG_FILE_ENV + ": " + path + " is not valid YAML");
        }
        Set<String> known = Arrays.stream(Setting.values()).map(Setting::key).collect(Collectors.toSet());
        List<String> unknown = config.traverse()
                .filter(Config::isLeaf)
                .map(node -> node.key().toString())
                .filter(key -> !known.contains(key) && !known.contains(key.replaceFirst("\\.\\d+$", "")))
                .sorted()
                .toList();
        if (!unknown.isEmpty()) {
            throw new ConfigException(CONFIG_FILE_ENV + ": " + path + " has unknown settings: "
                                                          + String.join(", ", unknown));
        }
        return config;
    }

    private static Optional<String> fileValue(Config config, Setting setting) {
        Config node = config.get(setting.key());
        if (!node.exists()) {
            return Optional.empty();
        }
        if (node.isList()) {
            return Optional.of(String.join(",", node.asList(String.class).get()));
        }
        return node.asString().asOptional();
    }

    private static boolean present(String value) {
        return value != null && !value.isBlank();
    }
}
