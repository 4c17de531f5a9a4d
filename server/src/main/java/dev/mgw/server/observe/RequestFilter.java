package dev.mgw.server.observe;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import dev.mgw.core.config.AddressRange;
import dev.mgw.server.api.BodyDeadline;
import dev.mgw.server.api.Problem;

import io.helidon.http.Header;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * Runs around every request: gives it an id (the client's {@code X-Request-ID} when acceptable)
 * and its client address ({@link ClientAddress}), puts the id in every log line of the request, sets the headers every response carries (and
 * CORS), refuses API keys in the query string, and when the response is sent writes one access
 * line and counts the request. A response that says {@code Connection: close} closes the
 * connection.
 */
public final class RequestFilter implements Filter {
    public static final HeaderName X_REQUEST_ID = HeaderNames.create("X-Request-ID");
    private static final Header NOSNIFF = HeaderValues.createCached("X-Content-Type-Options", "nosniff");
    private static final Header NO_STORE = HeaderValues.createCached(HeaderNames.CACHE_CONTROL, "no-store");
    private static final Set<String> KEY_PARAMETERS = Set.of("api_key", "key", "apikey", "x-api-key");

    private final AccessLog accessLog;
    private final Cors cors;
    private final ClientAddress clientAddress;

    public RequestFilter(GatewayMetrics metrics, List<String> corsOrigins, List<AddressRange> trustedProxies) {
        this.accessLog = new AccessLog(metrics);
        this.cors = new Cors(corsOrigins);
        this.clientAddress = new ClientAddress(trustedProxies);
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        LogContext.clear();
        RequestInfo info = new RequestInfo(RequestInfo.requestId(req.headers().first(X_REQUEST_ID)), System.nanoTime(),
                                           resolveClientAddress(req), this);
        req.context().register(info);
        LogContext.put("request_id", info.requestId());
        res.whenSent(() -> finished(req, res, info));
        headers(req, res);
        if (keyInQuery(req)) {
            throw Problem.badRequest("API keys are not accepted in the URL; send the key in the X-API-Key header");
        }
        if (cors.preflight(req, res)) {
            info.route("preflight");
            return;
        }
        chain.proceed();
        discardUnreadBody(req);
        if (res.headers().containsToken(HeaderValues.CONNECTION_CLOSE)) {
            // the answer told the client the connection ends (HTTP/1.0, its own Connection: close, a body that
            // could not be read to its end): Helidon would wait for another request on it
            throw new CloseConnectionException("the response closes the connection");
        }
    }

    /**
     * A body the route did not read (a request refused before it got there) is drained here,
     * under the same deadline as a read one, rather than by Helidon without any.
     */
    private static void discardUnreadBody(ServerRequest req) {
        if (req.content().consumed()) {
            return;
        }
        try {
            BodyDeadline.within(() -> {
                req.content().consume();
                return null;
            });
        } catch (IOException | RuntimeException e) {
            // the client was too slow or went away: the connection is closed either way
        }
    }

    /**
     * X-Request-ID, nosniff, no-store on /api, CORS: for whatever writes the response, errors
     * included (writing an error resets the headers set before).
     */
    public static void standardHeaders(ServerRequest req, ServerResponse res) {
        RequestInfo.of(req).ifPresent(info -> info.filter().headers(req, res));
    }

    private void headers(ServerRequest req, ServerResponse res) {
        RequestInfo.of(req).ifPresent(info -> res.header(X_REQUEST_ID, info.requestId()));
        res.header(NOSNIFF);
        if (req.prologue().uriPath().path().startsWith("/api/")) {
            res.header(NO_STORE);
        }
        cors.headers(req, res);
    }

    private static boolean keyInQuery(ServerRequest req) {
        for (String name : req.query().names()) {
            if (KEY_PARAMETERS.contains(name.toLowerCase(Locale.ROOT))) {
                return true;
            }
        }
        return false;
    }

    /** The access line and the count of the request. */
    private void finished(ServerRequest req, ServerResponse res, RequestInfo info) {
        accessLog.request(req.prologue().method().text(), info.route(), req.prologue().uriPath().path(), res.status().code(),
                          System.nanoTime() - info.startNanos(), info.clientAddress());
    }

    /** The client's IP address (no reverse lookup): the TCP peer, or the one a trusted proxy forwarded. */
    public static String clientAddress(ServerRequest req) {
        return RequestInfo.of(req).map(RequestInfo::clientAddress).orElseGet(() -> String.valueOf(req.remotePeer().address()));
    }

    private String resolveClientAddress(ServerRequest req) {
        SocketAddress address = req.remotePeer().address();
        if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return clientAddress.of(inet.getAddress(), req.headers().all(HeaderNames.X_FORWARDED_FOR, List::of));
        }
        return String.valueOf(address);
    }
}
