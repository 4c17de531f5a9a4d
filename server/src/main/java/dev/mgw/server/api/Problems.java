package dev.mgw.server.api;

import java.time.Duration;
import java.util.Locale;

import dev.mgw.core.db.Database;
import dev.mgw.core.db.DatabaseBusyException;
import dev.mgw.core.db.DatabaseUnavailableException;
import dev.mgw.core.webhooks.EndpointLimitException;
import dev.mgw.core.webhooks.InvalidEndpointException;
import dev.mgw.server.observe.RequestFilter;
import dev.mgw.server.observe.RequestInfo;
import dev.mgw.server.observe.ThrottledLog;

import io.helidon.http.HttpException;
import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;

import static dev.mgw.core.JsonP.JSON;

/**
 * The one place that writes error bodies: every failure becomes an RFC 9457
 * {@code application/problem+json} response with the request id and the standard headers.
 */
public final class Problems {
    private static final System.Logger LOG = System.getLogger(Problems.class.getName());
    /** During an outage every request fails alike: one line a second says so, with the count. */
    private static final ThrottledLog OUTAGE_LOG = new ThrottledLog(LOG, Duration.ofSeconds(1));
    private static final ThrottledLog BUSY_LOG = new ThrottledLog(LOG, Duration.ofSeconds(1));
    private static final String DATABASE_UNAVAILABLE = "the database is unavailable; retry shortly";

    private Problems() {
    }

    /** Maps each kind of failure to its problem response. */
    public static void register(HttpRouting.Builder routing) {
        routing.error(Problem.class, Problems::send)
                .error(InvalidEndpointException.class, (req, res, e) -> send(req, res, Problem.validation(
                        e.errors().stream().map(error -> new Problem.FieldError(error.field(), error.message())).toList())))
                .error(EndpointLimitException.class, (req, res, e) -> send(req, res, Problem.conflict(e.getMessage())))
                .error(HttpException.class, (req, res, e) -> send(req, res, fromHelidon(e)))
                .error(Exception.class, (req, res, e) -> send(req, res, fromException(e)));
    }

    /**
     * A failure the database caused, however deeply wrapped, is a 503: {@code Retry-After: 5}
     * while the database is unavailable (refused, silent, too slow), {@code Retry-After: 1} when
     * it answers but more work waits than it keeps up with. Anything else is a logged 500.
     */
    private static Problem fromException(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof DatabaseUnavailableException unavailable) {
                OUTAGE_LOG.report(unavailable.getMessage());
                return Problem.unavailable(DATABASE_UNAVAILABLE);
            }
            if (t instanceof DatabaseBusyException busy) {
                BUSY_LOG.report("shedding load: " + busy.getMessage());
                return Problem.busy();
            }
        }
        if (Database.isUnavailable(e)) {
            OUTAGE_LOG.report("the database is unavailable: " + Database.rootMessage(e));
            return Problem.unavailable(DATABASE_UNAVAILABLE);
        }
        LOG.log(System.Logger.Level.ERROR, "request failed: " + e.getClass().getName(), e);
        return Problem.internalError();
    }

    public static void send(ServerRequest req, ServerResponse res, Problem problem) {
        RequestFilter.standardHeaders(req, res);
        problem.headers().forEach(res::header);
        String requestId = RequestInfo.of(req).map(RequestInfo::requestId).orElse(null);
        JsonBody.send(res, problem.status(), JsonBody.PROBLEM_JSON, body(problem, requestId));
    }

    /** The RFC 9457 body: type, title, status, detail, request_id, and errors on a 422. */
    static JsonObject body(Problem problem, String requestId) {
        JsonObjectBuilder body = JSON.createObjectBuilder()
                .add("type", "/problems/" + problem.slug())
                .add("title", problem.title())
                .add("status", problem.status().code())
                .add("detail", problem.detail());
        if (requestId != null) {
            body.add("request_id", requestId);
        }
        if (!problem.errors().isEmpty()) {
            JsonArrayBuilder errors = JSON.createArrayBuilder();
            problem.errors().forEach(error -> errors.add(JSON.createObjectBuilder()
                                                                 .add("field", error.field())
                                                                 .add("message", error.message())));
            body.add("errors", errors);
        }
        return body.build();
    }

    /** A handler for the methods a path does not take: 405 with the Allow header. */
    public static Handler methodNotAllowed(String route, String... allowed) {
        return RequestInfo.route(route, (req, res) -> {
            throw Problem.methodNotAllowed(req.prologue().method().text() + " is not supported here")
                    .header("Allow", String.join(", ", allowed));
        });
    }

    private static Problem fromHelidon(HttpException e) {
        Status status = e.status();
        if (status.code() == Status.NOT_FOUND_404.code()) {
            return Problem.notFound("no such resource");
        }
        if (status.code() >= 500) {
            LOG.log(System.Logger.Level.ERROR, "request failed: " + e.getMessage(), e);
            return Problem.internalError();
        }
        return Problem.of(status, status.reasonPhrase().toLowerCase(Locale.ROOT));
    }
}
