package dev.mgw.server.api;

import java.util.Locale;

import dev.mgw.server.observe.RequestInfo;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;

/**
 * Problem+json for requests refused before routing (malformed request line, oversized headers,
 * a body past the server's ceiling): the same shape and standard headers as every other error,
 * with a fresh request id, and never the input echoed back.
 */
public final class ProblemDirectHandler implements DirectHandler {
    @Override
    public TransportResponse handle(TransportRequest request, EventType eventType, Status status,
                                    ServerResponseHeaders headers, String message) {
        String requestId = RequestInfo.newRequestId();
        String detail = switch (status.code()) {
            case 400 -> "the request is malformed";
            case 413 -> "the request body is too large";
            case 414 -> "the request line is too long";
            case 431 -> "the request headers are too large";
            default -> status.code() >= 500 ? "the request failed on the server"
                    : status.reasonPhrase().toLowerCase(Locale.ROOT);
        };
        byte[] body = JsonBody.bytes(Problems.body(Problem.of(status, detail), requestId));
        return TransportResponse.builder()
                .status(status)
                .headers(headers)
                .header(JsonBody.PROBLEM_JSON)
                .header(HeaderNames.create("X-Request-ID"), requestId)
                .header(HeaderNames.create("X-Content-Type-Options"), "nosniff")
                .entity(body)
                .keepAlive(false)
                .build();
    }
}
