package dev.mgw.server.observe;

/**
 * One access line and one count per request (SPEC §8, §5.3), whoever answered it: the
 * {@link RequestFilter} for a routed request, the direct handler for one Helidon refused before
 * routing (a malformed request line, header or framing).
 */
public final class AccessLog {
    private static final System.Logger ACCESS = System.getLogger("dev.mgw.access");

    private final GatewayMetrics metrics;

    public AccessLog(GatewayMetrics metrics) {
        this.metrics = metrics;
    }

    /**
     * A request refused before routing: its route is the template its path belongs to, if any;
     * its duration is not known (the request line and headers were read before anything here ran).
     */
    public void refusedEarly(String requestId, String method, String target, int status, String remote) {
        String path = target.split("\\?", 2)[0];
        LogContext.clear();
        LogContext.put("request_id", requestId);
        request(method, RequestInfo.routeOf(path), path, status, 0, remote);
    }

    /** The access line (method, route template, path without the query, status, duration, client) and the count. */
    void request(String method, String route, String path, int status, long nanos, String remote) {
        metrics.request(method, route, status, nanos);
        LogContext.put("method", method);
        LogContext.put("route", route);
        LogContext.put("path", path);
        LogContext.put("status", status);
        LogContext.put("duration_ms", Math.round(nanos / 1000.0) / 1000.0);
        LogContext.put("remote", remote);
        ACCESS.log(System.Logger.Level.INFO, "request");
        LogContext.clear();
    }
}
