package dev.mgw.core.config;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses {@code DATABASE_URL}: a libpq URI ({@code postgresql://} or {@code postgres://},
 * user, password, several hosts, query parameters) or a {@code jdbc:postgresql://} URL (whose
 * {@code user:password@} and {@code user}/{@code password} parameters are taken out of the URL
 * the driver gets). Errors are {@link ConfigException}s naming {@code DATABASE_URL} that never
 * show any part of the credentials: a piece of the URL is quoted only when it lies wholly
 * outside the places credentials can be written in, which a password with an unencoded
 * {@code /}, {@code ?} or {@code &} stretches beyond where they belong.
 */
public final class DatabaseUrl {
    private static final int DEFAULT_PORT = 5432;
    private static final String MASK = "****";
    private static final String ENCODING_ADVICE = "percent-encode '/', '?', '#', '@', ':' and '&' in a user name or "
                                                  + "password as %2F, %3F, %23, %40, %3A and %26";
    private static final Pattern SCHEME = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]*)://");
    private static final Pattern CREDENTIAL_PARAMETER = Pattern.compile("[?&](?:user|password|sslpassword)=");
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

    private final String url;
    /** Where credentials may stand in {@link #url}: the user info, and all from a credential parameter on. */
    private final List<Span> credentials = new ArrayList<>();

    private DatabaseUrl(String url) {
        this.url = url;
        int authority = url.indexOf("://") + 3;
        int lastAt = url.lastIndexOf('@');
        if (authority > 2 && lastAt >= authority) {
            credentials.add(new Span(authority, lastAt));
        }
        Matcher parameter = CREDENTIAL_PARAMETER.matcher(url);
        if (parameter.find()) {
            credentials.add(new Span(parameter.end(), url.length()));
        }
    }

    /** Characters {@code [start, end)} of the URL. */
    private record Span(int start, int end) {
        boolean overlaps(int from, int to) {
            return from < end && start < to;
        }
    }

    /**
     * {@code scheme://[userInfo@]hosts[/path][?query]}, split as written (nothing decoded). The
     * user info ends at the authority's last {@code @}, so {@code @} and {@code :} may stay
     * unencoded in a password; {@code /} and {@code ?} end the authority.
     */
    private record Parts(String userInfo, String hosts, boolean slash, String path, String query) {
        /** The hosts and the path, as written. */
        String location() {
            return hosts + (slash ? "/" + path : "");
        }

        static Parts split(String rest) {
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
            int at = rest.lastIndexOf('@');
            return at < 0
                    ? new Parts("", rest, slash >= 0, path, query)
                    : new Parts(rest.substring(0, at), rest.substring(at + 1), slash >= 0, path, query);
        }
    }

    public static JdbcTarget parse(String url) {
        if (url == null || url.isBlank()) {
            throw problem("is empty");
        }
        return new DatabaseUrl(url.strip()).parse();
    }

    private JdbcTarget parse() {
        String lower = url.toLowerCase(Locale.ROOT);
        if (lower.startsWith("jdbc:postgresql:")) {
            return parseJdbc();
        }
        if (lower.startsWith("postgresql://") || lower.startsWith("postgres://")) {
            return parseLibpq();
        }
        Matcher scheme = SCHEME.matcher(url);
        throw problem("expected a postgresql://, postgres:// or jdbc:postgresql:// URL"
                      + (scheme.find() ? ", got \"" + scheme.group(1) + "://\"" : ""));
    }

    private JdbcTarget parseJdbc() {
        String prefix = "jdbc:postgresql://";
        if (!url.startsWith(prefix) || url.length() == prefix.length()) {
            throw problem("a JDBC URL must look like jdbc:postgresql://host[:port]/database");
        }
        Parts parts = parts(url.substring(prefix.length()));
        hosts(parts.hosts());
        String user = user(parts.userInfo());
        String password = password(parts.userInfo());
        List<String> kept = new ArrayList<>();
        for (String pair : parts.query().split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq < 0 && inCredentials(pair)) {
                throw problem("a query parameter has no value", pair, "");
            }
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            switch (name) {
                case "user" -> user = value;
                case "password" -> password = value;
                default -> kept.add(pair);
            }
        }
        String location = parts.location();
        List<String> shown = kept.stream().filter(p -> !p.toLowerCase(Locale.ROOT).startsWith("sslpassword")).toList();
        return new JdbcTarget(prefix + location + (kept.isEmpty() ? "" : "?" + String.join("&", kept)), user,
                              Secret.of(password), Map.of(),
                              display(user, password, location, shown));
    }

    private JdbcTarget parseLibpq() {
        Parts parts = parts(url.substring(url.indexOf("://") + 3));
        String user = user(parts.userInfo());
        String password = password(parts.userInfo());
        List<String> hosts = hosts(parts.hosts());
        String database = decode(parts.path());

        Map<String, String> properties = new LinkedHashMap<>();
        for (String pair : parts.query().split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw problem("query parameter", pair, "has no value");
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
                default -> properties.put(jdbcProperty(pair.substring(0, eq), name),
                                          jdbcValue(name, pair.substring(eq + 1), value));
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
        List<String> shown = properties.containsKey("sslmode") ? List.of("sslmode=" + properties.get("sslmode")) : List.of();
        return new JdbcTarget(jdbcUrl, user, Secret.of(password), properties,
                              display(user, password, hostList + "/" + database, shown));
    }

    /** Splits the part after {@code scheme://}; an {@code @} past the authority means a password with '/' or '?' in it. */
    private Parts parts(String rest) {
        Parts parts = Parts.split(rest);
        if (parts.path().contains("@")) {
            throw problem("cannot tell the user name and password from the host: an '@' follows the first '/'; "
                          + ENCODING_ADVICE);
        }
        return parts;
    }

    private static String user(String userInfo) {
        int colon = userInfo.indexOf(':');
        return decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
    }

    private static String password(String userInfo) {
        int colon = userInfo.indexOf(':');
        return colon < 0 ? "" : decode(userInfo.substring(colon + 1));
    }

    /** The URL as operators may see it in logs, errors and {@code mgw} output: the password masked. */
    private static String display(String user, String password, String location, List<String> parameters) {
        String credentials = user + (password.isEmpty() ? "" : ":" + MASK);
        return "postgresql://" + (credentials.isEmpty() ? "" : credentials + "@") + location
               + (parameters.isEmpty() ? "" : "?" + String.join("&", parameters));
    }

    private List<String> hosts(String hostSpec) {
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
                    throw problem("unterminated IPv6 address", part, "");
                }
                host = part.substring(0, close + 1);
                String after = part.substring(close + 1);
                if (!after.isEmpty()) {
                    if (!after.startsWith(":")) {
                        throw problem("unexpected", after, "after an IPv6 address");
                    }
                    port = after.substring(1);
                }
            } else {
                int colon = part.indexOf(':');
                host = colon < 0 ? part : part.substring(0, colon);
                port = colon < 0 ? "" : part.substring(colon + 1);
            }
            String name = decode(host);
            if (name.isEmpty()) {
                name = "localhost";
            }
            if (name.startsWith("/")) {
                throw problem("Unix-domain sockets are not supported; use a TCP host such as 127.0.0.1");
            }
            if (!name.matches("\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9._-]+")) {
                throw problem("host name", host, "is not valid");
            }
            hosts.add(name + ":" + port(port));
        }
        return hosts;
    }

    private int port(String port) {
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
        throw problem("port", port, "is not a number between 1 and 65535");
    }

    private String jdbcProperty(String written, String name) {
        String property = LIBPQ_TO_JDBC.get(name);
        if (property == null) {
            throw problem("unsupported query parameter", written, "(supported: "
                          + String.join(", ", LIBPQ_TO_JDBC.keySet().stream().sorted().toList())
                          + ", user, password, dbname)");
        }
        return property;
    }

    private String jdbcValue(String name, String written, String value) {
        return switch (name) {
            case "sslmode" -> {
                if (!SSL_MODES.contains(value)) {
                    throw problem("sslmode", written, "is not one of " + String.join(", ", sorted(SSL_MODES)));
                }
                yield value;
            }
            case "target_session_attrs" -> {
                String mapped = SESSION_ATTRS.get(value);
                if (mapped == null) {
                    throw problem("target_session_attrs", written, "is not one of "
                                  + String.join(", ", sorted(SESSION_ATTRS.keySet())));
                }
                yield mapped;
            }
            case "keepalives" -> String.valueOf(!"0".equals(value));
            case "connect_timeout" -> {
                if (!value.matches("\\d{1,6}")) {
                    throw problem("connect_timeout", written, "is not a number of seconds");
                }
                yield value;
            }
            default -> value;
        };
    }

    private static List<String> sorted(Set<String> values) {
        return values.stream().sorted().toList();
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

    /** Whether {@code written}, a piece of the URL, is or may be part of the credentials. */
    private boolean inCredentials(String written) {
        int found = url.indexOf(written);
        if (written.isEmpty() || found < 0) {
            return true;
        }
        for (; found >= 0; found = url.indexOf(written, found + 1)) {
            int at = found;
            if (credentials.stream().anyMatch(span -> span.overlaps(at, at + written.length()))) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code subject "written" predicate}, or, when {@code written} may be part of the
     * credentials, the problem without it and how to write credentials that parse.
     */
    private ConfigException problem(String subject, String written, String predicate) {
        String tail = predicate.isEmpty() ? "" : " " + predicate;
        if (inCredentials(written)) {
            return problem(subject + tail + " (not shown, as it may be part of a password); " + ENCODING_ADVICE);
        }
        return problem(subject + " \"" + written + "\"" + tail);
    }

    private static ConfigException problem(String problem) {
        return ConfigException.of(Setting.DATABASE_URL, problem);
    }
}
