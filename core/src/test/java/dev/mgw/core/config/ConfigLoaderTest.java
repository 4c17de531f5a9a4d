package dev.mgw.core.config;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.logging.Level;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    @Test
    void defaultsMatchTheSpec() {
        GatewayConfig config = ConfigLoader.fromValues(Map.of());
        assertEquals("jdbc:postgresql://127.0.0.1:5432/mailgateway", config.database().target().jdbcUrl());
        assertFalse(config.database().echo());
        assertEquals(8, config.database().poolSize());
        assertTrue(config.database().migrate());
        assertEquals(new GatewayConfig.Server("0.0.0.0", 8000), config.server());
        assertTrue(config.smtp().sandbox());
        assertEquals(587, config.smtp().port());
        assertEquals(StartTls.OPPORTUNISTIC, config.smtp().startTls());
        assertFalse(config.smtp().ssl());
        assertEquals("noreply@localhost", config.smtp().fromAddress());
        assertEquals(Duration.ofSeconds(10), config.smtp().timeout());
        assertEquals(List.of("localhost"), config.allowedFromDomains());
        assertEquals(List.of(), config.allowDomains());
        assertEquals(new GatewayConfig.Delivery(4, 8, Duration.ofSeconds(30), Duration.ofSeconds(30)), config.delivery());
        assertEquals(Duration.ofSeconds(60), config.authCache());
        assertEquals(List.of(), config.corsOrigins());
        assertEquals(262144, config.maxRequestSize());
        assertEquals(List.of(), config.trustedProxies());
        assertTrue(config.suppressHardBounces());
        assertEquals(new GatewayConfig.Webhooks(4, Duration.ofSeconds(10), false, false), config.webhooks());
        assertEquals(10_485_760, config.attachments().maxBytes());
        assertEquals(Set.of("exe", "bat", "cmd", "com", "scr", "pif", "vbs", "vbe", "js", "jse", "wsf", "wsh", "msi",
                            "msp", "cpl", "jar", "ps1", "hta", "lnk", "reg"), config.attachments().blockedExtensions());
        assertEquals(100, config.batchMaxMessages());
        assertFalse(config.submission().enabled());
        assertEquals(Optional.empty(), config.submission().tlsCertificate());
        assertFalse(config.submission().allowInsecureAuth());
        assertEquals(100, config.submission().maxConnections());
        assertEquals(new GatewayConfig.Retention(7, 30), config.retention());
        assertEquals(Level.INFO, config.logLevel());
        assertTrue(config.logJson());
    }

    @Test
    void trustedProxiesAreAddressesAndBlocks() throws Exception {
        GatewayConfig config = ConfigLoader.fromValues(Map.of("TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7,fd00::/8"));
        assertEquals(3, config.trustedProxies().size());
        AddressRange tenNet = config.trustedProxies().getFirst();
        assertTrue(tenNet.contains(InetAddress.getByName("10.200.3.4")));
        assertFalse(tenNet.contains(InetAddress.getByName("11.0.0.1")));
        assertTrue(tenNet.contains(InetAddress.getByName("::ffff:10.1.2.3")), "IPv4-mapped IPv6");
        assertTrue(config.trustedProxies().get(1).contains(InetAddress.getByName("192.168.1.7")));
        assertFalse(config.trustedProxies().get(1).contains(InetAddress.getByName("192.168.1.8")));
        assertTrue(config.trustedProxies().get(2).contains(InetAddress.getByName("fd12::1")));
        assertProblem(Map.of("TRUSTED_PROXIES", "proxy.example.com"), "TRUSTED_PROXIES: \"proxy.example.com\" is not an IP");
        assertProblem(Map.of("TRUSTED_PROXIES", "10.0.0.0/33"), "TRUSTED_PROXIES: \"10.0.0.0/33\" has a prefix length out of range");
    }

    @Test
    void aLeaseMustHoldTwoSmtpTimeouts() {
        Map<String, String> relay = Map.of("SMTP_HOST", "smtp.example.com", "SMTP_FROM_ADDRESS", "a@example.com",
                                           "DELIVERY_LEASE_SECONDS", "10", "SMTP_TIMEOUT_SECONDS", "30");
        assertProblem(relay, "DELIVERY_LEASE_SECONDS: 10 s is too short for SMTP_TIMEOUT_SECONDS=30");
        GatewayConfig fits = ConfigLoader.fromValues(Map.of("SMTP_HOST", "smtp.example.com",
                                                            "SMTP_FROM_ADDRESS", "a@example.com",
                                                            "DELIVERY_LEASE_SECONDS", "10", "SMTP_TIMEOUT_SECONDS", "5"));
        assertEquals(Duration.ofSeconds(10), fits.delivery().lease());
    }

    @Test
    void submissionNeedsCertificateAndKeyTogether() throws IOException {
        Path certificate = Files.writeString(dir.resolve("cert.pem"), "-----BEGIN CERTIFICATE-----\n");
        Path key = Files.writeString(dir.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\n");
        assertProblem(Map.of("SMTP_SUBMISSION_TLS_CERT", certificate.toString()),
                      "SMTP_SUBMISSION_TLS_KEY: must be set when SMTP_SUBMISSION_TLS_CERT is");
        assertProblem(Map.of("SMTP_SUBMISSION_TLS_CERT", dir.resolve("missing.pem").toString()),
                      "SMTP_SUBMISSION_TLS_CERT: ");
        GatewayConfig config = ConfigLoader.fromValues(Map.of("SMTP_SUBMISSION_PORT", "2587",
                                                              "SMTP_SUBMISSION_TLS_CERT", certificate.toString(),
                                                              "SMTP_SUBMISSION_TLS_KEY", key.toString()));
        assertEquals(2587, config.submission().port().orElseThrow());
        assertEquals(Optional.of(key), config.submission().tlsKey());
    }

    @Test
    void theToolChecksOnlyWhatItUses() {
        Map<String, String> env = Map.of("MGW_CONFIG", "", "SMTP_HOST", "smtp.example.com", "SERVER_PORT", "http",
                                         "DATABASE_URL", "postgresql://db.example.com/mail");
        ConfigLoader.ToolConfig tool = ConfigLoader.loadTool(env, new Properties());
        assertEquals("jdbc:postgresql://db.example.com:5432/mail", tool.database().target().jdbcUrl());
        assertThrows(ConfigException.class,
                     () -> ConfigLoader.loadTool(Map.of("MGW_CONFIG", "", "DATABASE_URL", "mysql://x"), new Properties()));
    }

    @Test
    void fileThenSystemPropertyThenEnvironment() throws IOException {
        Path file = dir.resolve("mgw.yaml");
        Files.writeString(file, """
                server:
                  port: 8100
                  host: 127.0.0.1
                database:
                  pool-size: 3
                delivery:
                  workers: 2
                allow-domains:
                  - example.com
                  - example.org
                """);
        Properties properties = new Properties();
        properties.setProperty("server.port", "8200");
        properties.setProperty("database.pool-size", "5");
        GatewayConfig config = ConfigLoader.load(Map.of("MGW_CONFIG", file.toString(), "SERVER_PORT", "8300"),
                                                 properties);
        assertEquals(8300, config.server().port(), "environment beats everything");
        assertEquals(5, config.database().poolSize(), "system property beats the file");
        assertEquals(2, config.delivery().workers(), "file beats the default");
        assertEquals("127.0.0.1", config.server().host());
        assertEquals(List.of("example.com", "example.org"), config.allowDomains());
    }

    @Test
    void emptyEnvironmentValueCountsAsUnset() {
        GatewayConfig config = ConfigLoader.fromValues(Map.of("SMTP_HOST", "", "SERVER_PORT", " "));
        assertTrue(config.smtp().sandbox());
        assertEquals(8000, config.server().port());
    }

    @Test
    void relaySettingsAndDerivedDefaults() {
        GatewayConfig config = ConfigLoader.fromValues(Map.of(
                "SMTP_HOST", "smtp.example.com",
                "SMTP_USERNAME", "relay",
                "SMTP_PASSWORD", "s3cret",
                "SMTP_FROM_ADDRESS", "Acme <noreply@mail.acme.example>"));
        assertEquals(Optional.of("smtp.example.com"), config.smtp().host());
        assertEquals(StartTls.REQUIRED, config.smtp().startTls(), "a username makes STARTTLS required");
        assertEquals(List.of("mail.acme.example"), config.allowedFromDomains());
        assertEquals("s3cret", config.smtp().password().reveal());
        assertFalse(config.toString().contains("s3cret"), "no password in a config dump");
    }

    @Test
    void implicitTlsDefaultsToPort465() {
        GatewayConfig config = ConfigLoader.fromValues(Map.of("SMTP_HOST", "smtp.example.com", "SMTP_SSL", "true",
                                                              "SMTP_FROM_ADDRESS", "a@example.com"));
        assertEquals(465, config.smtp().port());
    }

    @Test
    void listsAreTrimmedAndIdnDomainsConverted() {
        GatewayConfig config = ConfigLoader.fromValues(Map.of("ALLOW_DOMAINS", " Example.COM, bücher.example ,",
                                                              "ALLOWED_FROM_DOMAINS", "a.example,b.example",
                                                              "CORS_ORIGINS", "https://app.example.com,http://localhost:3000"));
        assertEquals(List.of("example.com", "xn--bcher-kva.example"), config.allowDomains());
        assertEquals(List.of("a.example", "b.example"), config.allowedFromDomains());
        assertEquals(List.of("https://app.example.com", "http://localhost:3000"), config.corsOrigins());
    }

    @Test
    void badValuesNameTheVariable() {
        assertProblem(Map.of("SERVER_PORT", "70000"), "SERVER_PORT: 70000 is out of range (1-65535)");
        assertProblem(Map.of("SERVER_PORT", "http"), "SERVER_PORT: \"http\" is not a whole number");
        assertProblem(Map.of("DATABASE_URL", "mysql://x"), "DATABASE_URL: ");
        assertProblem(Map.of("DATABASE_POOL_SIZE", "0"), "DATABASE_POOL_SIZE: 0 is out of range");
        assertProblem(Map.of("DATABASE_MIGRATE", "maybe"), "DATABASE_MIGRATE: \"maybe\" is not true or false");
        assertProblem(Map.of("SMTP_HOST", "smtp.example.com"), "SMTP_FROM_ADDRESS: must be set when SMTP_HOST is");
        assertProblem(Map.of("SMTP_PASSWORD", "x"), "SMTP_PASSWORD: is set but SMTP_USERNAME is not");
        assertProblem(Map.of("SMTP_STARTTLS", "always"), "SMTP_STARTTLS: \"always\" is not one of");
        assertProblem(Map.of("SMTP_FROM_ADDRESS", "not-an-address"), "SMTP_FROM_ADDRESS: ");
        assertProblem(Map.of("SMTP_HOST", "bad host!", "SMTP_FROM_ADDRESS", "a@example.com"), "SMTP_HOST: ");
        assertProblem(Map.of("LOG_LEVEL", "LOUD"), "LOG_LEVEL: \"LOUD\" is not one of");
        assertProblem(Map.of("CORS_ORIGINS", "example.com"), "CORS_ORIGINS: \"example.com\" is not an origin");
        assertProblem(Map.of("ALLOW_DOMAINS", "exa mple.com"), "ALLOW_DOMAINS: ");
        assertProblem(Map.of("MAX_REQUEST_SIZE", "10"), "MAX_REQUEST_SIZE: 10 is out of range");
        assertProblem(Map.of("DELIVERY_MAX_ATTEMPTS", "0"), "DELIVERY_MAX_ATTEMPTS: 0 is out of range");
        assertProblem(Map.of("BATCH_MAX_MESSAGES", "501"), "BATCH_MAX_MESSAGES: 501 is out of range (1-500)");
        assertProblem(Map.of("BLOCKED_ATTACHMENT_EXTENSIONS", "exe,a b"), "BLOCKED_ATTACHMENT_EXTENSIONS: \"a b\"");
        assertProblem(Map.of("RETENTION_DAYS", "3"), "RETENTION_DAYS: 3 is shorter than RETENTION_BODY_DAYS (7)");
        assertProblem(Map.of("WEBHOOK_ALLOW_PRIVATE", "sure"), "WEBHOOK_ALLOW_PRIVATE: \"sure\" is not true or false");
        assertProblem(Map.of("SMTP_SUBMISSION_PORT", "0"), "SMTP_SUBMISSION_PORT: 0 is out of range");
    }

    @Test
    void problemsFromTheFileSayWhereTheValueCameFrom() throws IOException {
        Path file = dir.resolve("mgw.yaml");
        Files.writeString(file, "server:\n  port: 0\n");
        ConfigException e = assertThrows(ConfigException.class,
                                         () -> ConfigLoader.load(Map.of("MGW_CONFIG", file.toString()), new Properties()));
        assertEquals("SERVER_PORT (from file): 0 is out of range (1-65535)", e.getMessage());
    }

    @Test
    void unknownFileKeysAreRefused() throws IOException {
        Path file = dir.resolve("mgw.yaml");
        Files.writeString(file, "databse:\n  url: postgresql://x/y\n");
        ConfigException e = assertThrows(ConfigException.class,
                                         () -> ConfigLoader.load(Map.of("MGW_CONFIG", file.toString()), new Properties()));
        assertTrue(e.getMessage().startsWith("MGW_CONFIG: "), e.getMessage());
        assertTrue(e.getMessage().contains("unknown settings: databse.url"), e.getMessage());
    }

    @Test
    void missingFileIsRefused() {
        ConfigException e = assertThrows(ConfigException.class,
                                         () -> ConfigLoader.load(Map.of("MGW_CONFIG", dir.resolve("none.yaml").toString()),
                                                                 new Properties()));
        assertTrue(e.getMessage().startsWith("MGW_CONFIG: "), e.getMessage());
    }

    @Test
    void exampleFileInEtcIsValidAndMatchesTheDefaults() throws ReflectiveOperationException {
        Path example = Path.of("..", "etc", "mgw.example.yaml");
        GatewayConfig fromExample = ConfigLoader.load(Map.of("MGW_CONFIG", example.toString()), new Properties());
        GatewayConfig defaults = ConfigLoader.fromValues(Map.of());
        for (RecordComponent setting : GatewayConfig.class.getRecordComponents()) {
            if (!setting.getName().equals("file")) {
                assertEquals(setting.getAccessor().invoke(defaults), setting.getAccessor().invoke(fromExample), setting.getName());
            }
        }
        assertEquals(Optional.of(example), fromExample.file(), "the file read, for the start-up line");
    }

    private static void assertProblem(Map<String, String> env, String expected) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.fromValues(env));
        assertTrue(e.getMessage().startsWith(expected), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
    }
}
