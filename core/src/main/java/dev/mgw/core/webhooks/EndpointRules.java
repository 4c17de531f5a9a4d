package dev.mgw.core.webhooks;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import dev.mgw.core.config.GatewayConfig;
import dev.mgw.core.events.EventType;

/**
 * The rules an endpoint's fields follow (SPEC §5.6, §11), the same for the API and {@code mgw}:
 * an {@code https://} URL ({@code http://} with {@code WEBHOOK_ALLOW_HTTP}) of at most 2048
 * characters, with a host, without user info or fragment; a host given as an address must pass
 * {@link AddressRules} (a host name is checked where it matters, at every attempt); events are
 * types of §11; a description is one line of at most {@value #MAX_DESCRIPTION} characters.
 */
public final class EndpointRules {
    static final int MAX_URL = 2048;
    static final int MAX_DESCRIPTION = 256;

    private final boolean allowHttp;
    private final AddressRules addresses;

    public EndpointRules(GatewayConfig.Webhooks settings) {
        this.allowHttp = settings.allowHttp();
        this.addresses = new AddressRules(settings.allowPrivate());
    }

    /** Adds to {@code errors} what is wrong with the URL. */
    void checkUrl(String url, List<InvalidEndpointException.FieldError> errors) {
        Optional<String> problem = urlProblem(url);
        problem.ifPresent(p -> errors.add(new InvalidEndpointException.FieldError("url", p)));
    }

    private Optional<String> urlProblem(String url) {
        if (url.isEmpty() || url.length() > MAX_URL) {
            return Optional.of("must be 1 to " + MAX_URL + " characters");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return Optional.of("is not a valid URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !(allowHttp && scheme.equals("http"))) {
            return Optional.of(allowHttp ? "must be an http:// or https:// URL" : "must be an https:// URL");
        }
        if (uri.getRawUserInfo() != null || (uri.getRawAuthority() != null && uri.getRawAuthority().contains("@"))) {
            return Optional.of("must not contain user info (user:password@)");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            return Optional.of("has no valid host name");
        }
        if (uri.getRawFragment() != null) {
            return Optional.of("must not have a fragment (#…)");
        }
        return literalAddress(uri.getHost())
                .flatMap(addresses::refusal)
                .map(kind -> "points to a " + kind + " address, where webhooks are not sent");
    }

    /**
     * Checks the subscribed types: each a type of §11, at least one; duplicates fold. Empty (not
     * given) means every type.
     */
    List<String> events(Optional<List<String>> events, List<InvalidEndpointException.FieldError> errors) {
        if (events.isEmpty()) {
            return EventType.NAMES;
        }
        if (events.get().isEmpty()) {
            errors.add(new InvalidEndpointException.FieldError("events", "must name at least one event type"));
            return List.of();
        }
        Set<String> types = new LinkedHashSet<>();
        for (int i = 0; i < events.get().size(); i++) {
            String type = events.get().get(i);
            if (EventType.of(type).isEmpty()) {
                errors.add(new InvalidEndpointException.FieldError(
                        "events[" + i + "]", "'" + printable(type) + "' is not an event type; one of "
                                             + String.join(", ", EventType.NAMES)));
            } else {
                types.add(type);
            }
        }
        return new ArrayList<>(types);
    }

    void checkDescription(String description, List<InvalidEndpointException.FieldError> errors) {
        if (description.length() > MAX_DESCRIPTION || description.chars().anyMatch(Character::isISOControl)) {
            errors.add(new InvalidEndpointException.FieldError(
                    "description", "must be one line of at most " + MAX_DESCRIPTION + " characters"));
        }
    }

    /** The host as an address when it is written as one ({@code 10.0.0.7}, {@code [::1]}); no lookup. */
    private static Optional<InetAddress> literalAddress(String host) {
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (!bare.matches("\\d{1,3}(\\.\\d{1,3}){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")) {
            return Optional.empty();
        }
        try {
            return Optional.of(InetAddress.getByName(bare));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    private static String printable(String text) {
        String shown = text.length() > 40 ? text.substring(0, 40) + "…" : text;
        return shown.chars().allMatch(c -> c >= 32 && c < 127) ? shown : shown.replaceAll("[^\\x20-\\x7E]", "?");
    }
}
