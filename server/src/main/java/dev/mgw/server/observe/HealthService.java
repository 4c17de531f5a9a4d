package dev.mgw.server.observe;

import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.mgw.core.Version;
import dev.mgw.server.Gateway;
import dev.mgw.server.api.JsonBody;
import dev.mgw.server.api.Problems;
import dev.mgw.server.submission.SubmissionListener;

import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import jakarta.json.JsonObjectBuilder;

import static dev.mgw.core.JsonP.JSON;

/**
 * {@code /health} (overall, with the database and SMTP checks), {@code /health/live} (the
 * process answers) and {@code /health/ready} (database reachable, schema current, not stopping).
 * A database check never takes longer than two seconds.
 */
public final class HealthService implements HttpService {
    private static final long CHECK_TIMEOUT_MILLIS = 2000;

    private final Gateway gateway;

    public HealthService(Gateway gateway) {
        this.gateway = gateway;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/health", RequestInfo.route("/health", this::health))
                .get("/health/live", RequestInfo.route("/health/live", this::live))
                .get("/health/ready", RequestInfo.route("/health/ready", this::ready))
                .any("/health", Problems.methodNotAllowed("/health", "GET"))
                .any("/health/live", Problems.methodNotAllowed("/health/live", "GET"))
                .any("/health/ready", Problems.methodNotAllowed("/health/ready", "GET"));
    }

    private void health(ServerRequest req, ServerResponse res) {
        boolean databaseUp = check(() -> {
            gateway.database().ping();
            return true;
        });
        JsonObjectBuilder checks = JSON.createObjectBuilder()
                .add("database", databaseUp ? "UP" : "DOWN")
                .add("smtp", gateway.smtpHealth());
        JsonBody.send(res, databaseUp ? Status.OK_200 : Status.SERVICE_UNAVAILABLE_503,
                      JSON.createObjectBuilder()
                              .add("status", databaseUp ? "healthy" : "unhealthy")
                              .add("version", Version.get())
                              .add("timestamp", Instant.now(gateway.clock()).toString())
                              .add("checks", checks)
                              .build());
    }

    private void live(ServerRequest req, ServerResponse res) {
        JsonBody.send(res, Status.OK_200, JSON.createObjectBuilder().add("status", "UP").build());
    }

    private void ready(ServerRequest req, ServerResponse res) {
        boolean stopping = gateway.stopping();
        boolean schemaCurrent = !stopping && check(gateway::schemaCurrent);
        boolean databaseUp = schemaCurrent || !stopping && check(() -> {
            gateway.database().ping();
            return true;
        });
        boolean submission = gateway.submission().map(SubmissionListener::running).orElse(true);
        boolean ready = !stopping && databaseUp && schemaCurrent && submission;
        JsonBody.send(res, ready ? Status.OK_200 : Status.SERVICE_UNAVAILABLE_503,
                      JSON.createObjectBuilder()
                              .add("status", ready ? "UP" : "DOWN")
                              .add("checks", JSON.createObjectBuilder()
                                      .add("database", databaseUp ? "UP" : "DOWN")
                                      .add("schema", schemaCurrent ? "CURRENT" : databaseUp ? "PENDING" : "UNKNOWN")
                                      .add("accepting", !stopping))
                              .build());
    }

    /** Runs a database check on its own virtual thread, counting it failed after the timeout. */
    private static boolean check(Callable<Boolean> check) {
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        Thread.ofVirtual().name("health-check").start(() -> {
            try {
                result.complete(check.call());
            } catch (Exception e) {
                result.complete(false);
            }
        });
        return result.completeOnTimeout(false, CHECK_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS).join();
    }
}
