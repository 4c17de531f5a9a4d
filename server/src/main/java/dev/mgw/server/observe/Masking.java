package dev.mgw.server.observe;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Scrubs secrets from text on its way into a log line: API keys (generated ones by their shape,
 * any key after {@code X-API-Key:} or in a {@code ?api_key=}-like parameter; at most the
 * 12-character prefix survives), webhook signing secrets ({@code whsec_…}) and the configured passwords.
 */
public final class Masking {
    private static final Pattern GENERATED_KEY = Pattern.compile("(mgw_[A-Za-z0-9]{8})[A-Za-z0-9]{32}");
    /** A key in a header line or a URL parameter, in whatever a library might log. */
    private static final Pattern KEY_FIELD = Pattern.compile(
            "(?i)(x-api-key\\s*[:=]\\s*|[?&](?:api_key|apikey|x-api-key|key)=)([^\\s&\"',;]{0,12})[^\\s&\"',;]*");
    private static final Pattern WEBHOOK_SECRET = Pattern.compile("whsec_[A-Za-z0-9+/]{8,}={0,2}");
    private static final List<String> SECRETS = new CopyOnWriteArrayList<>();

    private Masking() {
    }

    /** Registers a secret (an SMTP or database password, an imported key) to be masked wherever it appears. */
    public static void register(String secret) {
        if (secret != null && secret.length() >= 4 && !SECRETS.contains(secret)) {
            SECRETS.add(secret);
        }
    }

    public static String mask(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String masked = text;
        for (String secret : SECRETS) {
            if (masked.contains(secret)) {
                masked = masked.replace(secret, "****");
            }
        }
        if (masked.contains("mgw_")) {
            masked = GENERATED_KEY.matcher(masked).replaceAll(m -> Matcher.quoteReplacement(m.group(1)) + "…");
        }
        if (masked.contains("whsec_")) {
            masked = WEBHOOK_SECRET.matcher(masked).replaceAll("whsec_…");
        }
        if ((masked.indexOf('=') >= 0 || masked.indexOf(':') >= 0) && containsKey(masked)) {
            masked = KEY_FIELD.matcher(masked).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + m.group(2)) + "…");
        }
        return masked;
    }

    /**
     * Whether {@code text} holds "key" in any case, as every name {@link #KEY_FIELD} looks for
     * does. Most log text (a time, a reply) holds a colon, and the pattern's case-insensitive
     * alternation, tried at every position of it, took a tenth of the log formatter's CPU samples
     * (JFR, a gateway accepting and delivering).
     */
    private static boolean containsKey(String text) {
        for (int i = text.length() - 3; i >= 0; i--) {
            if (text.regionMatches(true, i, "key", 0, 3)) {
                return true;
            }
        }
        return false;
    }
}
