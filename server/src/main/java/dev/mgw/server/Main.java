package dev.mgw.server;

import java.time.Clock;
import java.time.Duration;
import java.util.TimeZone;

import dev.mgw.core.Version;
import dev.mgw.core.config.ConfigException;
import dev.mgw.core.config.ConfigLoader;
import dev.mgw.core.config.GatewayConfig;
import dev.mgw.core.db.DatabaseUnavailableException;
import dev.mgw.core.db.Migrations;
import dev.mgw.server.api.HttpConnections;
import dev.mgw.server.api.OpenApiService;
import dev.mgw.server.api.ProblemDirectHandler;
import dev.mgw.server.api.Problems;
import dev.mgw.server.observe.AccessLog;
import dev.mgw.server.observe.HealthService;
import dev.mgw.server.observe.Logging;
import dev.mgw.server.observe.MetricsService;
import dev.mgw.server.observe.RequestFilter;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http1.Http1Config;

/**
 * Starts the gateway: configuration, logging, schema, database, HTTP server; stops it cleanly on
 * SIGTERM. {@link #server} and {@link #routing} are what tests start too.
 */
public final class Main {
    static {
        // before the first logger exists: see Logging.Manager
        System.setProperty("java.util.logging.manager", Logging.Manager.class.getName());
    }

    private static final System.Logger LOG = System.getLogger(Main.class.getName());
    private static final int MAX_CONNECTIONS = 10_000;
    private static final int MAX_REQUEST_LINE = 8 * 1024;
    private static final int MAX_HEADERS = 16 * 1024;

    private Main() {
    }

    public static void main(String[] args) {
        long started = System.nanoTime();
        TimeZone.setDefault(TimeZone.getTimeZone("UTC"));
        GatewayConfig config;
        try {
            config = ConfigLoader.load();
        } catch (ConfigException e) {
            System.err.println("mail-gateway: " + e.getMessage());
            System.exit(1);
            return;
        }
        Logging.configure(config);
        LOG.log(System.Logger.Level.INFO, startupLine(config));
        Gateway gateway;
        try {
            gateway = Gateway.create(config, Clock.systemUTC());
        } catch (DatabaseUnavailableException | Migrations.MigrationException e) {
            LOG.log(System.Logger.Level.ERROR, "cannot start: " + e.getMessage());
            System.exit(1);
            return;
        }
        WebServerConfig.Builder builder = WebServer.builder()
                .host(config.server().host())
                .port(config.server().port());
        server(builder, gateway);
        WebServer webServer = builder.routing(routing -> routing(routing, gateway)).build().start();
        gateway.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> shutdown(webServer, gateway), "shutdown"));
        LOG.log(System.Logger.Level.INFO, "mail-gateway " + Version.get() + " ready on http://"
                                          + config.server().host() + ":" + webServer.port() + " in "
                                          + (System.nanoTime() - started) / 1_000_000 + " ms");
    }

    /**
     * The first log line (SPEC §3): the configuration file read, the database (without its
     * password), the relay or the sandbox, and the listeners; what an operator checks first when
     * the gateway does not do what they expected.
     */
    static String startupLine(GatewayConfig config) {
        GatewayConfig.Smtp smtp = config.smtp();
        String relay = smtp.host()
                .map(host -> "relay " + host + ":" + smtp.port() + " ("
                             + (smtp.ssl() ? "implicit TLS" : "STARTTLS " + smtp.startTls()) + ", "
                             + (smtp.username().isPresent() ? "with AUTH" : "without AUTH") + ")")
                .orElse("relay none: sandbox, nothing leaves this machine (SMTP_HOST is not set)");
        String host = config.server().host();
        String listeners = "HTTP " + host + ":" + config.server().port()
                           + (config.submission().enabled()
                                      ? ", SMTP submission " + host + ":" + config.submission().port().getAsInt()
                                      : "");
        return "mail-gateway " + Version.get() + " starting: configuration file "
               + config.file().map(Object::toString).orElse("none") + "; database " + config.database().target()
               + "; " + relay + "; listeners " + listeners;
    }

    /**
     * Server-wide settings: no Helidon shutdown hook (ours stops things in order); limits that
     * keep abusive clients from exhausting memory or connections (virtual threads make a slow
     * client cheap, these make it finite): a payload ceiling behind the exact
     * {@code MAX_REQUEST_SIZE} check of the handlers, header and request-line sizes, a connection
     * cap, idle connections closed after a minute (bodies have their own deadline,
     * {@link dev.mgw.server.api.BodyDeadline}); HTTP/1 connections that also serve HTTP/1.0 and
     * chunk extensions ({@link HttpConnections}); problem+json, an access line and a count for
     * requests refused before routing.
     */
    static void server(WebServerConfig.Builder builder, Gateway gateway) {
        HttpConnections connections = new HttpConnections(Http1Config.builder()
                                                                  .maxPrologueLength(MAX_REQUEST_LINE)
                                                                  .maxHeadersSize(MAX_HEADERS)
                                                                  // protocol traces at DEBUG would log query strings and header values (keys)
                                                                  .receiveLog(false)
                                                                  .sendLog(false)
                                                                  .build());
        builder.shutdownHook(false)
                .maxPayloadSize(gateway.config().maxRequestSize() * 4)
                .maxTcpConnections(MAX_CONNECTIONS)
                .idleConnectionTimeout(Duration.ofSeconds(60))
                .idleConnectionPeriod(Duration.ofSeconds(10))
                .connectionOptions(connections.socketOptions())
                // connections is the listener's only connection selector: none is added from the class path
                .protocolsDiscoverServices(false)
                .addConnectionSelector(connections)
                .directHandlers(ProblemDirectHandler.forEveryEvent(new AccessLog(gateway.metrics())));
    }

    /** Every route of the gateway, behind the request filter, with problem+json for every failure. */
    static void routing(HttpRouting.Builder routing, Gateway gateway) {
        routing.addFilter(new RequestFilter(gateway.metrics(), gateway.config().corsOrigins(),
                                            gateway.config().trustedProxies()))
                .register(new HealthService(gateway))
                .register(new MetricsService(gateway.metrics()))
                .register(new OpenApiService())
                .register("/api/v1", gateway.api(), gateway.webhooksApi(), gateway.suppressionsApi());
        Problems.register(routing);
    }

    private static void shutdown(WebServer webServer, Gateway gateway) {
        LOG.log(System.Logger.Level.INFO, "shutting down");
        gateway.beginShutdown();
        webServer.stop();
        gateway.close();
        LOG.log(System.Logger.Level.INFO, "stopped");
        Logging.flush();
    }
}
