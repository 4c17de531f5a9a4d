package dev.mgw.server.observe;

import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

import io.helidon.common.uri.UriPath;
import io.helidon.http.PathMatcher;
import io.helidon.http.PathMatchers;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;

/**
 * What the gateway knows about the request in flight: its id, the route template it matched
 * (for metrics and access logs: never a raw path with an id in it), when it started, who sent it.
 * Registered in the request's context by {@link RequestFilter}.
 */
public final class RequestInfo {
    private static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    /** Route label of requests that matched no route. */
    public static final String UNMATCHED = "unmatched";
    /** Every route template the routes were labelled with, to find the route of a path that was never routed. */
    private static final Map<String, PathMatcher> TEMPLATES = new ConcurrentHashMap<>();

    private final String requestId;
    private final long startNanos;
    private final String clientAddress;
    private final RequestFilter filter;
    private volatile String route = UNMATCHED;

    RequestInfo(String requestId, long startNanos, String clientAddress, RequestFilter filter) {
        this.requestId = requestId;
        this.startNanos = startNanos;
        this.clientAddress = clientAddress;
        this.filter = filter;
    }

    RequestFilter filter() {
        return filter;
    }

    /** The client's {@code X-Request-ID} when it is acceptable, else a new one. */
    public static String requestId(Optional<String> fromClient) {
        return fromClient.filter(id -> CLIENT_ID.matcher(id).matches()).orElseGet(RequestInfo::newRequestId);
    }

    /**
     * A new request id, UUID-shaped; it identifies a request in logs and needs no secrecy, so it
     * comes from the fast per-thread generator, not the shared SecureRandom.
     */
    public static String newRequestId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = (random.nextLong() & 0xFFFFFFFFFFFF0FFFL) | 0x4000L;
        long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(high, low).toString();
    }

    /** A handler that labels its requests with a route template (for metrics and access lines). */
    public static Handler route(String template, Handler handler) {
        TEMPLATES.computeIfAbsent(template, PathMatchers::create);
        return (req, res) -> {
            of(req).ifPresent(info -> info.route(template));
            handler.handle(req, res);
        };
    }

    /** The route template a path belongs to, for a request refused before routing; {@value #UNMATCHED} if none. */
    static String routeOf(String path) {
        UriPath uriPath;
        try {
            uriPath = UriPath.create(path);
        } catch (IllegalArgumentException e) {
            return UNMATCHED;
        }
        for (Map.Entry<String, PathMatcher> template : TEMPLATES.entrySet()) {
            if (template.getValue().match(uriPath).accepted()) {
                return template.getKey();
            }
        }
        return UNMATCHED;
    }

    public static Optional<RequestInfo> of(ServerRequest req) {
        return req.context().get(RequestInfo.class);
    }

    public String requestId() {
        return requestId;
    }

    public long startNanos() {
        return startNanos;
    }

    /** The client's IP address: the TCP peer, or behind a trusted proxy the one it forwarded. */
    public String clientAddress() {
        return clientAddress;
    }

    public String route() {
        return route;
    }

    public void route(String template) {
        this.route = template;
    }
}
