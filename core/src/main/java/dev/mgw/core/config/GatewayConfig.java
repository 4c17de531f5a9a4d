package dev.mgw.core.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;

/**
 * The whole configuration of a gateway process (SPEC §3), validated. Built by {@link ConfigLoader}.
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
                            Level logLevel,
                            boolean logJson) {

    public GatewayConfig {
        allowedFromDomains = List.copyOf(allowedFromDomains);
        allowDomains = List.copyOf(allowDomains);
        corsOrigins = List.copyOf(corsOrigins);
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
}
