package dev.mgw.server.suppressions;

import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import dev.mgw.core.messages.EmailAddress;
import dev.mgw.core.suppressions.Scope;
import dev.mgw.core.suppressions.Suppression;
import dev.mgw.core.suppressions.SuppressionJson;
import dev.mgw.core.suppressions.Suppressions;
import dev.mgw.server.api.JsonBody;
import dev.mgw.server.api.Problem;
import dev.mgw.server.api.Problems;
import dev.mgw.server.api.RequestBody;
import dev.mgw.server.auth.Authenticator;
import dev.mgw.server.auth.Caller;
import dev.mgw.server.observe.RequestInfo;

import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

import static dev.mgw.core.JsonP.JSON;

/**
 * {@code /api/v1/suppressions} (SPEC §5.5): the calling key's suppression list. Global entries
 * (every key's) are the operator's, through {@code mgw suppressions}, and not shown here.
 */
public final class SuppressionsService implements HttpService {
    static final int DEFAULT_PAGE = 20;
    static final int MAX_PAGE = 100;
    static final int MAX_ADDRESSES = 1000;
    private static final Set<String> ADD_FIELDS = Set.of("addresses", "reason", "expires_at", "detail");

    private final Runnable admission;
    private final Authenticator authenticator;
    private final Suppressions suppressions;
    private final long maxRequestSize;
    private final Clock clock;

    public SuppressionsService(Runnable admission, Authenticator authenticator, Suppressions suppressions,
                               long maxRequestSize, Clock clock) {
        this.admission = admission;
        this.authenticator = authenticator;
        this.suppressions = suppressions;
        this.maxRequestSize = maxRequestSize;
        this.clock = clock;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/suppressions", RequestInfo.route("/api/v1/suppressions", this::list))
                .post("/suppressions", RequestInfo.route("/api/v1/suppressions", this::add))
                .delete("/suppressions/{address}", RequestInfo.route("/api/v1/suppressions/{address}", this::remove))
                .any("/suppressions", Problems.methodNotAllowed("/api/v1/suppressions", "GET", "POST"))
                .any("/suppressions/{address}", Problems.methodNotAllowed("/api/v1/suppressions/{address}", "DELETE"));
    }

    private void list(ServerRequest req, ServerResponse res) {
        Caller caller = authenticator.authenticate(req, admission);
        List<Problem.FieldError> errors = new ArrayList<>();
        Optional<String> reason = req.query().first("reason").asOptional().filter(r -> !r.isEmpty());
        if (reason.isPresent() && !Suppressions.REASONS.contains(reason.get())) {
            errors.add(new Problem.FieldError("reason", "must be one of " + String.join(", ", Suppressions.REASONS)));
        }
        Optional<String> address = req.query().first("address").asOptional().filter(a -> !a.isEmpty());
        int limit = req.query().first("limit").asOptional()
                .map(text -> text.matches("\\d{1,3}") ? Integer.parseInt(text) : -1)
                .orElse(DEFAULT_PAGE);
        if (limit < 1 || limit > MAX_PAGE) {
            errors.add(new Problem.FieldError("limit", "must be a number from 1 to " + MAX_PAGE));
        }
        Optional<String> cursor = req.query().first("cursor").asOptional().filter(c -> !c.isEmpty());
        if (cursor.isPresent() && !cursor.get().matches("[1-9]\\d{0,17}")) {
            errors.add(new Problem.FieldError("cursor", "is not a cursor from a previous page"));
        }
        if (!errors.isEmpty()) {
            throw Problem.validation(errors);
        }
        List<Suppression> page = authenticator.asKey(caller, () -> suppressions.list(
                Scope.key(caller.keyId()), address, reason, cursor.map(Long::parseLong), limit + 1,
                Optional.of(caller.keyHash())));
        JsonArrayBuilder data = JSON.createArrayBuilder();
        page.stream().limit(limit).forEach(entry -> data.add(SuppressionJson.entry(entry)));
        JsonObjectBuilder body = JSON.createObjectBuilder().add("data", data);
        if (page.size() > limit) {
            body.add("next_cursor", String.valueOf(page.get(limit - 1).id()));
        } else {
            body.addNull("next_cursor");
        }
        JsonBody.send(res, Status.OK_200, body.build());
    }

    private void add(ServerRequest req, ServerResponse res) {
        Caller caller = authenticator.authenticate(req, admission);
        JsonObject body = RequestBody.readJsonObject(req, maxRequestSize);
        List<Problem.FieldError> errors = new ArrayList<>();
        body.keySet().stream().filter(name -> !ADD_FIELDS.contains(name)).sorted()
                .forEach(name -> errors.add(new Problem.FieldError(name, "unknown field")));
        List<String> addresses = new ArrayList<>();
        JsonValue given = body.get("addresses");
        if (!(given instanceof JsonArray array) || array.isEmpty() || array.size() > MAX_ADDRESSES) {
            errors.add(new Problem.FieldError("addresses", "must be an array of 1 to " + MAX_ADDRESSES + " addresses"));
        } else {
            for (int i = 0; i < array.size(); i++) {
                String field = "addresses[" + i + "]";
                if (!(array.get(i) instanceof JsonString text)) {
                    errors.add(new Problem.FieldError(field, "must be a string"));
                    continue;
                }
                try {
                    addresses.add(EmailAddress.parse(text.getString().strip()).address());
                } catch (IllegalArgumentException e) {
                    errors.add(new Problem.FieldError(field, e.getMessage()));
                }
            }
        }
        String reason = "manual";
        if (body.containsKey("reason")) {
            if (body.get("reason") instanceof JsonString text && Suppressions.REASONS.contains(text.getString())) {
                reason = text.getString();
            } else {
                errors.add(new Problem.FieldError("reason", "must be one of " + String.join(", ", Suppressions.REASONS)));
            }
        }
        Optional<String> detail = Optional.empty();
        if (body.containsKey("detail") && body.get("detail").getValueType() != JsonValue.ValueType.NULL) {
            if (body.get("detail") instanceof JsonString text && text.getString().length() <= 1000) {
                detail = Optional.of(text.getString());
            } else {
                errors.add(new Problem.FieldError("detail", "must be a string of at most 1000 characters"));
            }
        }
        Optional<Instant> expiresAt = Optional.empty();
        if (body.containsKey("expires_at") && body.get("expires_at").getValueType() != JsonValue.ValueType.NULL) {
            try {
                Instant at = OffsetDateTime.parse(((JsonString) body.get("expires_at")).getString()).toInstant();
                if (!at.isAfter(clock.instant())) {
                    errors.add(new Problem.FieldError("expires_at", "must be in the future"));
                }
                expiresAt = Optional.of(at);
            } catch (ClassCastException | DateTimeParseException e) {
                errors.add(new Problem.FieldError("expires_at", "must be an RFC 3339 time, e.g. 2026-12-31T00:00:00Z"));
            }
        }
        if (!errors.isEmpty()) {
            throw Problem.validation(errors);
        }
        String why = reason;
        Optional<String> note = detail;
        Optional<Instant> until = expiresAt;
        List<Suppression> added = authenticator.asKey(caller, () -> suppressions.add(
                Scope.key(caller.keyId()), addresses, why, note, until, Optional.of(caller.keyHash())));
        JsonArrayBuilder data = JSON.createArrayBuilder();
        added.forEach(entry -> data.add(SuppressionJson.entry(entry)));
        JsonBody.send(res, Status.CREATED_201, JSON.createObjectBuilder().add("data", data).build());
    }

    private void remove(ServerRequest req, ServerResponse res) {
        Caller caller = authenticator.authenticate(req, admission);
        String address = req.path().pathParameters().get("address");
        List<String> removed = authenticator.asKey(caller, () -> suppressions.remove(
                Scope.key(caller.keyId()), List.of(address), Optional.of(caller.keyHash())));
        if (removed.isEmpty()) {
            throw Problem.notFound("this key has no suppression of that address");
        }
        res.status(Status.NO_CONTENT_204).send();
    }
}
