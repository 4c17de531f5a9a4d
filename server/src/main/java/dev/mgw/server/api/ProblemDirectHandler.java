package dev.mgw.server.api;

import java.util.Locale;

import dev.mgw.server.observe.AccessLog;
import dev.mgw.server.observe.LogContext;
import dev.mgw.server.observe.RequestFilter;
import dev.mgw.server.observe.RequestInfo;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.http.DirectHandlers;

/**
 * Problem+json for requests Helidon refuses itself, mostly before routing (malformed request
 * line, headers or framing; oversized headers; a body past the server's ceiling): the same shape
 * and standard headers as every other error, never the input echoed back, and malformed input is
 * the client's error, a 4xx. A request refused before routing gets its access line and its count
 * here (the request filter never saw it), under the route template of its path when it has one.
 */
public final class ProblemDirectHandler implements DirectHandler {
    private final AccessLog accessLog;

    private ProblemDirectHandler(AccessLog accessLog) {
        this.accessLog = accessLog;
    }

    /** This handler for every kind of event. */
    public static DirectHandlers forEveryEvent(AccessLog accessLog) {
        ProblemDirectHandler handler = new ProblemDirectHandler(accessLog);
        DirectHandlers.Builder handlers = DirectHandlers.builder();
        for (EventType type : EventType.values()) {
            handlers.addHandler(type, handler);
        }
        return handlers.build();
    }

    @Override
    public TransportResponse handle(TransportRequest request, EventType eventType, Status status,
                                    ServerResponseHeaders headers, String message) {
        Status answered = answered(request, eventType, status);
        // while the request filter runs (an error inside routing), the request has its id, and its access line comes from the filter
        String routedId = LogContext.get("request_id");
        String requestId = routedId != null ? routedId
                : RequestInfo.requestId(request.headers().first(RequestFilter.X_REQUEST_ID));
        String detail = switch (answered.code()) {
            case 400 -> "the request is malformed";
            case 413 -> "the request body is too large";
            case 414 -> "the request line is too long";
            case 431 -> "the request headers are too large";
            default -> answered.code() >= 500 ? "the request failed on the server"
                    : answered.reasonPhrase().toLowerCase(Locale.ROOT);
        };
        byte[] body = JsonBody.bytes(Problems.body(Problem.of(answered, detail), requestId));
        if (routedId == null) {
            accessLog.refusedEarly(requestId, request.method(), request.path(), answered.code(),
                                   HttpConnections.client().map(HttpConnections.Client::address).orElse(null));
        }
        return TransportResponse.builder()
                .status(answered)
                .headers(headers)
                .header(JsonBody.PROBLEM_JSON)
                .header(RequestFilter.X_REQUEST_ID, requestId)
                .header(HeaderNames.create("X-Content-Type-Options"), "nosniff")
                .entity(body)
                .keepAlive(false)
                .build();
    }

    /**
     * Helidon's status, except where malformed input would get a 5xx: a transfer coding it does
     * not implement (501), and a request line it failed to parse at all (500 before any request
     * was known: a method that is not a token fails that way).
     */
    private static Status answered(TransportRequest request, EventType eventType, Status status) {
        boolean unsupportedCoding = eventType == EventType.BAD_REQUEST && status.code() == Status.NOT_IMPLEMENTED_501.code();
        boolean unparsedRequestLine = eventType == EventType.INTERNAL_ERROR && request.method().isEmpty();
        return unsupportedCoding || unparsedRequestLine ? Status.BAD_REQUEST_400 : status;
    }
}
