package dev.mgw.core.config;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatabaseUrlTest {
    private static final String OS_USER = System.getProperty("user.name");

    @Test
    void defaultUrlBecomesJdbcUrlWithUser() {
        JdbcTarget target = DatabaseUrl.parse("postgresql://postgres@127.0.0.1:5432/mailgateway");
        assertEquals("jdbc:postgresql://127.0.0.1:5432/mailgateway", target.jdbcUrl());
        assertEquals("postgres", target.user());
        assertTrue(target.password().isEmpty());
        assertEquals(Map.of(), target.properties());
        assertEquals("postgresql://postgres@127.0.0.1:5432/mailgateway", target.display());
    }

    @Test
    void postgresSchemeWithPercentEncodedPasswordAndSslMode() {
        JdbcTarget target = DatabaseUrl.parse("postgres://app:p%40ss%3Aw0rd@db.example.com/gateway?sslmode=require");
        assertEquals("jdbc:postgresql://db.example.com:5432/gateway", target.jdbcUrl());
        assertEquals("app", target.user());
        assertEquals("p@ss:w0rd", target.password().reveal());
        assertEquals(Map.of("sslmode", "require"), target.properties());
        assertFalse(target.display().contains("w0rd"));
        assertFalse(target.toString().contains("w0rd"));
    }

    @Test
    void bareUriUsesLibpqDefaults() {
        JdbcTarget target = DatabaseUrl.parse("postgresql://");
        assertEquals("jdbc:postgresql://localhost:5432/" + OS_USER, target.jdbcUrl());
        assertEquals(OS_USER, target.user());
    }

    @Test
    void hostOnlyUsesUserAsDatabase() {
        assertEquals("jdbc:postgresql://db:5432/" + OS_USER, DatabaseUrl.parse("postgresql://db").jdbcUrl());
    }

    @Test
    void credentialsAndDatabaseAsQueryParameters() {
        JdbcTarget target = DatabaseUrl.parse("postgresql:///ignored?user=alice&password=s%26cret&dbname=mail");
        assertEquals("jdbc:postgresql://localhost:5432/mail", target.jdbcUrl());
        assertEquals("alice", target.user());
        assertEquals("s&cret", target.password().reveal());
    }

    @Test
    void severalHostsAndSessionAttributes() {
        JdbcTarget target = DatabaseUrl.parse(
                "postgresql://u@pg1:5433,pg2:5434,pg3/db?target_session_attrs=read-write&application_name=mgw-test");
        assertEquals("jdbc:postgresql://pg1:5433,pg2:5434,pg3:5432/db", target.jdbcUrl());
        assertEquals(Map.of("targetServerType", "primary", "ApplicationName", "mgw-test"), target.properties());
    }

    @Test
    void ipv6Host() {
        assertEquals("jdbc:postgresql://[::1]:6543/db", DatabaseUrl.parse("postgresql://u@[::1]:6543/db").jdbcUrl());
        assertEquals("jdbc:postgresql://[2001:db8::5]:5432/db", DatabaseUrl.parse("postgresql://[2001:db8::5]/db").jdbcUrl());
    }

    @Test
    void timeoutsKeepalivesAndTlsFiles() {
        JdbcTarget target = DatabaseUrl.parse("postgresql://u@h/db?connect_timeout=5&keepalives=0"
                                              + "&sslmode=verify-full&sslrootcert=/etc/ssl/root.crt");
        assertEquals(Map.of("connectTimeout", "5", "tcpKeepAlive", "false", "sslmode", "verify-full",
                            "sslrootcert", "/etc/ssl/root.crt"), target.properties());
    }

    @Test
    void percentEncodedDatabaseName() {
        assertEquals("jdbc:postgresql://h:5432/my%20db", DatabaseUrl.parse("postgresql://u@h/my%20db").jdbcUrl());
    }

    @Test
    void jdbcUrlKeepsParametersButMovesCredentialsOut() {
        JdbcTarget target = DatabaseUrl.parse("jdbc:postgresql://db:5432/mail?user=gw&password=hunter2&ssl=true");
        assertEquals("jdbc:postgresql://db:5432/mail?ssl=true", target.jdbcUrl());
        assertEquals("gw", target.user());
        assertEquals("hunter2", target.password().reveal());
        assertEquals("postgresql://gw:****@db:5432/mail?ssl=true", target.display());
    }

    @Test
    void jdbcUrlWithUserInfoMovesCredentialsOutAndMasksThePassword() {
        JdbcTarget target = DatabaseUrl.parse("jdbc:postgresql://gw:hunter2@db:5432/mail?ssl=true");
        assertEquals("jdbc:postgresql://db:5432/mail?ssl=true", target.jdbcUrl());
        assertEquals("gw", target.user());
        assertEquals("hunter2", target.password().reveal());
        assertEquals("postgresql://gw:****@db:5432/mail?ssl=true", target.display());
        assertEquals("p@ss:w/rd", DatabaseUrl.parse("jdbc:postgresql://gw:p%40ss%3Aw%2Frd@db/mail").password().reveal());
    }

    @Test
    void jdbcUrlErrorsDoNotShowCredentials() {
        assertHidden("jdbc:postgresql://alice:Qx7/Zk9@db/mail", "alice", "Qx7", "Zk9");
        assertHidden("jdbc:postgresql://alice:Qx7?Zk9@db/mail", "alice", "Qx7", "Zk9");
        assertHidden("jdbc:postgresql://db/mail?user=alice&password=Qx7&Zk9", "alice", "Qx7", "Zk9");
    }

    @Test
    void jdbcUrlWithoutParameters() {
        JdbcTarget target = DatabaseUrl.parse("jdbc:postgresql://localhost/mail");
        assertEquals("jdbc:postgresql://localhost/mail", target.jdbcUrl());
        assertEquals("", target.user());
    }

    @Test
    void schemeIsCaseInsensitive() {
        assertEquals("jdbc:postgresql://h:5432/db", DatabaseUrl.parse("PostgreSQL://u@h/db").jdbcUrl());
    }

    @Test
    void otherSchemesAreRefusedWithoutEchoingTheUrl() {
        ConfigException e = assertThrows(ConfigException.class,
                                         () -> DatabaseUrl.parse("mysql://root:topsecret@db/mail"));
        assertTrue(e.getMessage().startsWith("DATABASE_URL: "), e.getMessage());
        assertFalse(e.getMessage().contains("topsecret"), e.getMessage());
        ConfigException noScheme = assertThrows(ConfigException.class, () -> DatabaseUrl.parse("root:topsecret@db/mail"));
        assertFalse(noScheme.getMessage().contains("root"), noScheme.getMessage());
        assertFalse(noScheme.getMessage().contains("topsecret"), noScheme.getMessage());
        ConfigException bare = assertThrows(ConfigException.class, () -> DatabaseUrl.parse("topsecret"));
        assertFalse(bare.getMessage().contains("topsecret"), bare.getMessage());
    }

    @Test
    void aSlashInAnUnencodedPasswordIsRefusedWithoutShowingAnyOfIt() {
        ConfigException e = assertHidden("postgresql://u:pa/ss@h/db", "\"pa\"", "pa/", "/ss", "ss@");
        assertTrue(e.getMessage().contains("percent-encode '/'"), e.getMessage());
        assertHidden("postgresql://alice:Qx7/Zk9@db.example.com/mail", "alice", "Qx7", "Zk9");
        assertHidden("postgresql://alice:5432/Zk9@db.example.com/mail", "alice", "5432", "Zk9");
    }

    @Test
    void atSignsAndColonsInAnUnencodedPasswordStayInThePassword() {
        JdbcTarget target = DatabaseUrl.parse("postgresql://u:p@ss:w@h/db");
        assertEquals("jdbc:postgresql://h:5432/db", target.jdbcUrl());
        assertEquals("u", target.user());
        assertEquals("p@ss:w", target.password().reveal());
        assertEquals("postgresql://u:****@h:5432/db", target.display());
        ConfigException e = assertThrows(ConfigException.class,
                                         () -> DatabaseUrl.parse("postgresql://alice:Qx7@Zk9:Wv5@h:99999/db"));
        assertTrue(e.getMessage().contains("port \"99999\""), e.getMessage());
        for (String secret : List.of("alice", "Qx7", "Zk9", "Wv5")) {
            assertFalse(e.getMessage().contains(secret), e.getMessage());
        }
    }

    @Test
    void aQuestionMarkInAnUnencodedPasswordIsRefusedWithoutShowingAnyOfIt() {
        assertHidden("postgresql://alice:Qx7?Zk9@h/db", "alice", "Qx7", "Zk9");
        assertHidden("postgresql://alice:Qx7?sslmode=Zk9@h/db", "alice", "Qx7", "Zk9");
    }

    @Test
    void credentialsInQueryParametersAreNotShownInErrors() {
        assertHidden("postgresql://h/db?user=alice&password=Qx7&Zk9&sslmode=require", "alice", "Qx7", "Zk9");
        assertHidden("postgresql://h/db?password=Qx7&sslmode=Zk9", "Qx7", "Zk9");
    }

    @Test
    void badPortIsRefused() {
        assertProblem("postgresql://u@h:99999/db", "port");
        assertProblem("postgresql://u@h:abc/db", "port");
    }

    @Test
    void unknownParameterIsRefused() {
        assertProblem("postgresql://u@h/db?currentSchema=x", "unsupported query parameter \"currentSchema\"");
    }

    @Test
    void badSslModeIsRefused() {
        assertProblem("postgresql://u@h/db?sslmode=maybe", "sslmode");
    }

    @Test
    void unixSocketsAreRefused() {
        assertProblem("postgresql://u@%2Fvar%2Frun%2Fpostgresql/db", "Unix-domain");
        assertProblem("postgresql://u@h/db?host=/var/run/postgresql", "authority");
    }

    @Test
    void emptyAndHalfUrlsAreRefused() {
        assertProblem("", "empty");
        assertProblem("jdbc:postgresql://", "JDBC URL");
        assertProblem("postgresql://u@[::1/db", "IPv6");
    }

    /** The URL is refused with advice on encoding, and the message shows none of these fragments. */
    private static ConfigException assertHidden(String url, String... hidden) {
        ConfigException e = assertThrows(ConfigException.class, () -> DatabaseUrl.parse(url));
        assertTrue(e.getMessage().startsWith("DATABASE_URL: "), e.getMessage());
        assertTrue(e.getMessage().contains("percent-encode"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
        for (String fragment : hidden) {
            assertFalse(e.getMessage().contains(fragment), fragment + " shown in: " + e.getMessage());
        }
        return e;
    }

    private static void assertProblem(String url, String expected) {
        ConfigException e = assertThrows(ConfigException.class, () -> DatabaseUrl.parse(url));
        assertTrue(e.getMessage().startsWith("DATABASE_URL: "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
    }
}
