package dev.mgw.core.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.logging.Level;

/**
 * The whole configuration of a gateway process (SPEC §3), validated. Built by {@link ConfigLoader}.
 *
 * @param file the configuration file it was read from, if any
 */
public record GatewayConfig(Database database,
                            Server server,
                            Smtp smtp,
                            Delivery delivery,
                            List<String> allowedFromDomains,
                            List<String> allowDomains,
                            Duration authCache,
                            List<String> corsOrigins,
                            long maxRequestSize,
                            List<AddressRange> trustedProxies,
                            boolean suppressHardBounces,
                            Webhooks webhooks,
                            Attachments attachments,
                            int batchMaxMessages,
                            Submission submission,
                            Retention retention,
                            Level logLevel,
                            boolean logJson,
                            Optional<Path> file) {

    public GatewayConfig {
        allowedFromDomains = List.copyOf(allowedFromDomains);
        allowDomains = List.copyOf(allowDomains);
        corsOrigins = List.copyOf(corsOrigins);
        trustedProxies = List.copyOf(trustedProxies);
    }

    public record Database(JdbcTarget target, boolean echo, int poolSize, boolean migrate) {
    }

    public record Server(String host, int port) {
    }

    /**
     * @param host    the relay; empty = sandbox (nothing leaves the machine)
     * @param password masked in {@link #toString()}
     */
    public record Smtp(Optional<String> host,
                       int port,
                       Optional<String> username,
                       Secret password,
                       StartTls startTls,
                       boolean ssl,
                       String fromAddress,
                       Duration timeout) {
        public boolean sandbox() {
            return host.isEmpty();
        }
    }

    public record Delivery(int workers, int maxAttempts, Duration backoff, Duration lease) {
    }

    /**
     * @param timeout      whole-request timeout of one webhook POST
     * @param allowHttp    {@code http://} endpoint URLs are accepted (development)
     * @param allowPrivate endpoints may resolve to loopback, private, link-local or CGNAT addresses (development, tests)
     */
    public record Webhooks(int workers, Duration timeout, boolean allowHttp, boolean allowPrivate) {
    }

    /**
     * @param maxBytes           total decoded size of one message's attachments
     * @param blockedExtensions  lower-case file name extensions (without the dot) refused with 422
     */
    public record Attachments(long maxBytes, Set<String> blockedExtensions) {
        public Attachments {
            blockedExtensions = Set.copyOf(blockedExtensions);
        }
    }

    /**
     * The SMTP submission listener (SPEC §13).
     *
     * @param port               empty = the listener is off
     * @param tlsCertificate     PEM certificate chain; empty (with the key) = a self-signed one made at start
     * @param tlsKey             PEM private key of that certificate
     * @param allowInsecureAuth  AUTH offered before STARTTLS (development only)
     */
    public record Submission(OptionalInt port,
                             Optional<Path> tlsCertificate,
                             Optional<Path> tlsKey,
                             boolean allowInsecureAuth,
                             int maxConnections) {
        public boolean enabled() {
            return port.isPresent();
        }
    }

    /**
     * @param bodyDays bodies, raw MIME and attachments of messages in a final state go after this many days
     * @param days     messages in a final state, their events and webhook deliveries go after this many days
     */
    public record Retention(int bodyDays, int days) {
    }
}
