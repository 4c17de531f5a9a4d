package dev.mgw.core.config;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Parses {@code DATABASE_URL}: a libpq URI ({@code postgresql://} or {@code postgres://},
 * user, password, several hosts, query parameters) or a {@code jdbc:postgresql://} URL.
 * Errors are {@link ConfigException}s naming {@code DATABASE_URL}, never echoing a password.
 */
public final class DatabaseUrl {
    private static final int DEFAULT_PORT = 5432;
    private static final Set<String> SSL_MODES =
            Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");
    /** libpq parameter name → PostgreSQL JDBC property name, for the parameters that carry over. */
    private static final Map<String, String> LIBPQ_TO_JDBC = Map.ofEntries(
            Map.entry("sslmode", "sslmode"),
            Map.entry("sslrootcert", "sslrootcert"),
            Map.entry("sslcert", "sslcert"),
            Map.entry("sslkey", "sslkey"),
            Map.entry("sslpassword", "sslpassword"),
            Map.entry("application_name", "ApplicationName"),
            Map.entry("connect_timeout", "connectTimeout"),
            Map.entry("options", "options"),
            Map.entry("target_session_attrs", "targetServerType"),
            Map.entry("keepalives", "tcpKeepAlive"),
            Map.entry("gssencmode", "gssEncMode"),
            Map.entry("channel_binding", "channelBinding"));
    private static final Map<String, String> SESSION_ATTRS = Map.of(
            "any", "any",
            "read-write", "primary",
            "primary", "primary",
            "read-only", "secondary",
            "standby", "secondary",
            "prefer-standby", "preferSecondary");

    private DatabaseUrl() {
    }

    public static JdbcTarget parse(String url) {
        if (url == null || url.isBlank()) {
            throw problem("is empty");
        }
        String trimmed = url.strip();
        String lower = trimmed.toLowerCase(Locale.ROOT);
        if (lower.startsWith("jdbc:postgresql:")) {
            return parseJdbc(trimmed);
        }
        if (lower.startsWith("postgresql://") || lower.startsWith("postgres://")) {
            return parseLibpq(trimmed);
        }
        throw problem("expected a postgresql://, postgres:// or jdbc:postgresql:// URL, got \"" + scheme(trimmed) + "\"");
    }

    private static JdbcTarget parseJdbc(String url) {
        int query = url.indexOf('?');
        String base = query < 0 ? url : url.substring(0, query);
        if (!base.startsWith("jdbc:postgresql://") || base.length() == "jdbc:postgresql://".length()) {
            throw problem("a JDBC URL must look like jdbc:postgresql://host[:port]/database");
        }
        String user = "";
        String password = "";
        List<String> kept = new ArrayList<>();
        if (query >= 0) {
            for (String pair : url.substring(query + 1).split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String name = decode(eq < 0 ? pair : pair.substring(0, eq));
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
                switch (name) {
                    case "user" -> user = value;
                    case "password" -> password = value;
                    default -> kept.add(pair);
                }
            }
        }
        String jdbcUrl = kept.isEmpty() ? base : base + "?" + String.join("&", kept);
        return new JdbcTarget(jdbcUrl, user, Secret.of(password), Map.of(), displayJdbc(base, user, kept));
    }

    private static JdbcTarget parseLibpq(String url) {
        String rest = url.substring(url.indexOf("://") + 3);
        String query = "";
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        String path = "";
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            path = rest.substring(slash + 1);
            rest = rest.substring(0, slash);
        }
        String user = "";
        String password = "";
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            String userInfo = rest.substring(0, at);
            rest = rest.substring(at + 1);
            int colon = userInfo.indexOf(':');
            user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
            password = colon < 0 ? "" : decode(userInfo.substring(colon + 1));
        }
        List<String> hosts = hosts(rest);
        String database = decode(path);

        Map<String, String> properties = new LinkedHashMap<>();
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw problem("query parameter \"" + decode(pair) + "\" has no value");
            }
            String name = decode(pair.substring(0, eq));
            String value = decode(pair.substring(eq + 1));
            switch (name) {
                case "user" -> user = value;
                case "password" -> password = value;
                case "dbname" -> database = value;
                case "host", "port", "hostaddr" -> throw problem(
                        "put the host and port in the authority part (postgresql://user@host:port/db), not in \"?"
                                + name + "=\"");
                default -> properties.put(jdbcProperty(name, value), jdbcValue(name, value));
            }
        }
        if (user.isEmpty()) {
            user = System.getProperty("user.name", "postgres");
        }
        if (database.isEmpty()) {
            database = user;
        }
        String hostList = String.join(",", hosts);
        String jdbcUrl = "jdbc:postgresql://" + hostList + "/" + encodePathSegment(database);
        String display = "postgresql://" + user + "@" + hostList + "/" + database
                + (properties.containsKey("sslmode") ? "?sslmode=" + properties.get("sslmode") : "");
        return new JdbcTarget(jdbcUrl, user, Secret.of(password), properties, display);
    }

    private static List<String> hosts(String hostSpec) {
        List<String> hosts = new ArrayList<>();
        if (hostSpec.isEmpty()) {
            hosts.add("localhost:" + DEFAULT_PORT);
            return hosts;
        }
        for (String part : hostSpec.split(",")) {
            String host;
            String port = "";
            if (part.startsWith("[")) {
                int close = part.indexOf(']');
                if (close < 0) {
                    throw problem("unterminated IPv6 address \"" + part + "\"");
                }
                host = part.substring(0, close + 1);
                String after = part.substring(close + 1);
                if (!after.isEmpty()) {
                    if (!after.startsWith(":")) {
                        throw problem("unexpected \"" + after + "\" after an IPv6 address");
                    }
                    port = after.substring(1);
                }
            } else {
                int colon = part.indexOf(':');
                host = colon < 0 ? part : part.substring(0, colon);
                port = colon < 0 ? "" : part.substring(colon + 1);
            }
            host = decode(host);
            if (host.isEmpty()) {
                host = "localhost";
            }
            if (host.startsWith("/")) {
                throw problem("Unix-domain sockets are not supported; use a TCP host such as 127.0.0.1");
            }
            if (!host.matches("\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9._-]+")) {
                throw problem("\"" + host + "\" is not a valid host name");
            }
            hosts.add(host + ":" + port(port));
        }
        return hosts;
    }

    private static int port(String port) {
        if (port.isEmpty()) {
            return DEFAULT_PORT;
        }
        try {
            int value = Integer.parseInt(port);
            if (value >= 1 && value <= 65535) {
                return value;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw problem("port \"" + port + "\" is not a number between 1 and 65535");
    }

    private static String jdbcProperty(String name, String value) {
        String property = LIBPQ_TO_JDBC.get(name);
        if (property == null) {
            throw problem("unsupported query parameter \"" + name + "\" (supported: "
                                  + String.join(", ", LIBPQ_TO_JDBC.keySet().stream().sorted().toList())
                                  + ", user, password, dbname)");
        }
        return property;
    }

    private static String jdbcValue(String name, String value) {
        return switch (name) {
            case "sslmode" -> {
                if (!SSL_MODES.contains(value)) {
                    throw problem("sslmode \"" + value + "\" is not one of " + String.join(", ", sorted(SSL_MODES)));
                }
                yield value;
            }
            case "target_session_attrs" -> {
                String mapped = SESSION_ATTRS.get(value);
                if (mapped == null) {
                    throw problem("target_session_attrs \"" + value + "\" is not one of "
                                          + String.join(", ", sorted(SESSION_ATTRS.keySet())));
                }
                yield mapped;
            }
            case "keepalives" -> String.valueOf(!"0".equals(value));
            case "connect_timeout" -> {
                if (!value.matches("\\d{1,6}")) {
                    throw problem("connect_timeout \"" + value + "\" is not a number of seconds");
                }
                yield value;
            }
            default -> value;
        };
    }

    private static List<String> sorted(Set<String> values) {
        return values.stream().sorted().toList();
    }

    private static String displayJdbc(String base, String user, List<String> kept) {
        String shown = base.replaceFirst("^jdbc:postgresql://", "postgresql://" + (user.isEmpty() ? "" : user + "@"));
        List<String> visible = kept.stream().filter(p -> !p.toLowerCase(Locale.ROOT).startsWith("sslpassword")).toList();
        return visible.isEmpty() ? shown : shown + "?" + String.join("&", visible);
    }

    private static String decode(String value) {
        try {
            return URLDecoder.decode(value.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw problem("bad percent-encoding");
        }
    }

    private static String encodePathSegment(String value) {
        StringBuilder out = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (Character.isLetterOrDigit(c) && c < 128 || c == '-' || c == '_' || c == '.' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(String.format("%02X", c));
            }
        }
        return out.toString();
    }

    private static String scheme(String url) {
        int colon = url.indexOf(':');
        return colon < 0 ? (url.length() > 20 ? url.substring(0, 20) + "…" : url) : url.substring(0, colon) + ":";
    }

    private static ConfigException problem(String problem) {
        return ConfigException.of(Setting.DATABASE_URL, problem);
    }
}
