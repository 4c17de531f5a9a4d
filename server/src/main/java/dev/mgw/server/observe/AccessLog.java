package dev.mgw.server.observe;

/** One access line and one count per request (SPEC §8, §5.3). */
public final class AccessLog {
    private static final System.Logger ACCESS = System.getLogger("dev.mgw.access");

    private final GatewayMetrics metrics;

    public AccessLog(GatewayMetrics metrics) {
        this.metrics = metrics;
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
