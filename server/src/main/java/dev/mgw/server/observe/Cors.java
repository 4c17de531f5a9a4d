package dev.mgw.server.observe;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import dev.mgw.server.api.Problem;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * CORS as SPEC §5.3 has it: off (no {@code Access-Control-*} header on any response) while
 * {@code CORS_ORIGINS} is empty; otherwise only the listed origins, methods GET, POST, PATCH and DELETE, request
 * headers X-API-Key, Content-Type, Idempotency-Key and X-Request-ID.
 */
final class Cors {
    static final String ALLOWED_METHODS = "GET, POST, PATCH, DELETE";
    static final String ALLOWED_HEADERS = "X-API-Key, Content-Type, Idempotency-Key, X-Request-ID";
    private static final Set<String> METHODS = Set.of("GET", "POST", "PATCH", "DELETE");
    private static final Set<String> HEADERS = Arrays.stream(ALLOWED_HEADERS.split(",\\s*"))
            .map(h -> h.toLowerCase(Locale.ROOT))
            .collect(Collectors.toSet());
    /** What a browser script may read: ids, the Location of a message, and the quota headers. */
    private static final String EXPOSED_HEADERS = "X-Request-ID, Location, Retry-After, X-RateLimit-Limit, "
                                                  + "X-RateLimit-Remaining, X-RateLimit-Reset, Idempotent-Replayed";
    private static final HeaderName REQUEST_METHOD = HeaderNames.create("Access-Control-Request-Method");
    private static final HeaderName REQUEST_HEADERS = HeaderNames.create("Access-Control-Request-Headers");
    private static final HeaderName ALLOW_ORIGIN = HeaderNames.create("Access-Control-Allow-Origin");
    private static final HeaderName ALLOW_METHODS = HeaderNames.create("Access-Control-Allow-Methods");
    private static final HeaderName ALLOW_HEADERS = HeaderNames.create("Access-Control-Allow-Headers");
    private static final HeaderName EXPOSE_HEADERS = HeaderNames.create("Access-Control-Expose-Headers");
    private static final HeaderName MAX_AGE = HeaderNames.create("Access-Control-Max-Age");

    private final Set<String> origins;

    Cors(List<String> origins) {
        this.origins = Set.copyOf(origins);
    }

    private static boolean isPreflight(ServerRequest req) {
        return req.prologue().method() == Method.OPTIONS && req.headers().contains(REQUEST_METHOD);
    }

    /** Answers a preflight request; returns whether it was one. */
    boolean preflight(ServerRequest req, ServerResponse res) {
        if (origins.isEmpty() || !isPreflight(req)) {
            return false;
        }
        Optional<String> origin = allowedOrigin(req);
        String method = req.headers().first(REQUEST_METHOD).orElse("").strip().toUpperCase(Locale.ROOT);
        boolean headersAllowed = req.headers().first(REQUEST_HEADERS)
                .map(list -> Arrays.stream(list.split(","))
                        .map(h -> h.strip().toLowerCase(Locale.ROOT))
                        .filter(h -> !h.isEmpty())
                        .allMatch(HEADERS::contains))
                .orElse(true);
        if (origin.isEmpty() || !METHODS.contains(method) || !headersAllowed) {
            throw Problem.forbidden("CORS preflight refused: origin, method or headers not allowed");
        }
        res.status(Status.NO_CONTENT_204)
                .header(ALLOW_ORIGIN, origin.get())
                .header(HeaderNames.VARY, "Origin")
                .header(ALLOW_METHODS, ALLOWED_METHODS)
                .header(ALLOW_HEADERS, ALLOWED_HEADERS)
                .header(MAX_AGE, "600")
                .send();
        return true;
    }

    /** The headers of an actual (not preflight) response to an allowed origin. */
    void headers(ServerRequest req, ServerResponse res) {
        if (origins.isEmpty() || isPreflight(req)) {
            return;
        }
        if (req.headers().contains(HeaderNames.ORIGIN)) {
            res.header(HeaderNames.VARY, "Origin");
        }
        allowedOrigin(req).ifPresent(origin -> res.header(ALLOW_ORIGIN, origin).header(EXPOSE_HEADERS, EXPOSED_HEADERS));
    }

    private Optional<String> allowedOrigin(ServerRequest req) {
        return req.headers().first(HeaderNames.ORIGIN)
                .map(String::strip)
                .filter(origin -> origins.contains(origin.toLowerCase(Locale.ROOT)));
    }
}
