package dev.mgw.server.api;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import dev.mgw.core.events.Event;
import dev.mgw.core.webhooks.CreatedEndpoint;
import dev.mgw.core.webhooks.DeliveryView;
import dev.mgw.core.webhooks.Endpoint;
import dev.mgw.core.webhooks.EndpointChanges;
import dev.mgw.core.webhooks.Owner;
import dev.mgw.core.webhooks.WebhookEndpoints;
import dev.mgw.core.webhooks.WebhookJson;
import dev.mgw.core.webhooks.WebhookOutbox;
import dev.mgw.server.auth.Authenticator;
import dev.mgw.server.auth.Caller;
import dev.mgw.server.observe.LogContext;
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
 * {@code /api/v1/webhooks} (SPEC §5.6): a key's webhook endpoints, their secrets, a test event and
 * the deliveries of each. Another key's endpoint is 404, as is an unknown one; the secret is in
 * the answer to a create or a rotation only.
 */
public final class WebhooksService implements HttpService {
    static final int DEFAULT_PAGE = 20;
    static final int MAX_PAGE = 100;
    private static final Set<String> CREATE_FIELDS = Set.of("url", "events", "description");
    private static final Set<String> PATCH_FIELDS = Set.of("url", "events", "enabled", "description");
    private static final Set<String> DELIVERY_STATUSES = Set.of("pending", "delivered", "failed");

    private final Runnable admission;
    private final Authenticator authenticator;
    private final WebhookEndpoints endpoints;
    private final WebhookOutbox outbox;
    private final long maxRequestSize;
    private final Clock clock;

    public WebhooksService(Runnable admission, Authenticator authenticator, WebhookEndpoints endpoints,
                           WebhookOutbox outbox, long maxRequestSize, Clock clock) {
        this.admission = admission;
        this.authenticator = authenticator;
        this.endpoints = endpoints;
        this.outbox = outbox;
        this.maxRequestSize = maxRequestSize;
        this.clock = clock;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/webhooks", RequestInfo.route("/api/v1/webhooks", this::create))
                .get("/webhooks", RequestInfo.route("/api/v1/webhooks", this::list))
                .get("/webhooks/{id}", RequestInfo.route("/api/v1/webhooks/{id}", this::get))
                .patch("/webhooks/{id}", RequestInfo.route("/api/v1/webhooks/{id}", this::patch))
                .delete("/webhooks/{id}", RequestInfo.route("/api/v1/webhooks/{id}", this::delete))
                .post("/webhooks/{id}/rotate-secret", RequestInfo.route("/api/v1/webhooks/{id}/rotate-secret", this::rotate))
                .post("/webhooks/{id}/test", RequestInfo.route("/api/v1/webhooks/{id}/test", this::test))
                .get("/webhooks/{id}/deliveries", RequestInfo.route("/api/v1/webhooks/{id}/deliveries", this::deliveries))
                .any("/webhooks", Problems.methodNotAllowed("/api/v1/webhooks", "GET", "POST"))
                .any("/webhooks/{id}", Problems.methodNotAllowed("/api/v1/webhooks/{id}", "GET", "PATCH", "DELETE"))
                .any("/webhooks/{id}/rotate-secret", Problems.methodNotAllowed("/api/v1/webhooks/{id}/rotate-secret", "POST"))
                .any("/webhooks/{id}/test", Problems.methodNotAllowed("/api/v1/webhooks/{id}/test", "POST"))
                .any("/webhooks/{id}/deliveries", Problems.methodNotAllowed("/api/v1/webhooks/{id}/deliveries", "GET"));
    }

    private void create(ServerRequest req, ServerResponse res) {
        Caller caller = authenticator.authenticate(req, admission);
        Fields body = new Fields(RequestBody.readJsonObject(req, maxRequestSize), CREATE_FIELDS);
        String url = body.requiredString("url");
        Optional<List<String>> events = body.strings("events");
        Optional<String> description = body.string("description");
        body.throwIfAny();
        CreatedEndpoint created = authenticator.asKey(
                caller, () -> endpoints.create(owner(caller), caller.keyId(), url, events, description));
        LogContext.put("webhook_endpoint_id", created.endpoint().id());
        JsonBody.send(res.header("Location", "/api/v1/webhooks/" + created.endpoint().id()), Status.CREATED_201,
                      WebhookJson.endpoint(created.endpoint()).add("secret", created.secret()).build());
    }

    private void list(ServerRequest req, ServerResponse res) {
        Caller caller = authenticator.authenticate(req, admission);
        JsonArrayBuilder data = JSON.createArrayBuilder();
        authenticator.asKey(caller, () -> endpoints.list(owner(caller), Optional.empty()))
                .forEach(e -> data.add(WebhookJson.endpoint(e)));
        JsonBody.send(res, Status.OK_200, JSON.createObjectBuilder().add("data", data).build());
    }

    private void get(ServerRequest req, ServerResponse res) {
        Caller caller = authenticator.authenticate(req, admission);
        UUID id = endpointId(req);
        Endpoint endpoint = authenticator.asKey(caller, () -> endpoints.find(owner(caller), id))
                .orElseThrow(WebhooksService::notFound);
        JsonBody.send(res, Status.OK_200, WebhookJson.endpoint(endpoint).build());
    }

    private void patch(ServerRequest req, ServerResponse res) {
        Caller caller = authenticator.authenticate(req, admission);
        UUID id = endpointId(req);
        Fields body = new Fields(RequestBody.readJsonObject(req, maxRequestSize), PATCH_FIELDS);
        EndpointChanges changes = new EndpointChanges(body.string("url"), body.strings("events"), body.bool("enabled"),
                                                      body.string("description"));
        body.throwIfAny();
        Endpoint endpoint = authenticator.asKey(caller, () -> endpoints.update(owner(caller), id, changes))
                .orElseThrow(WebhooksService::notFound);
        JsonBody.send(res, Status.OK_200, WebhookJson.endpoint(endpoint).build());
    }

    private void delete(ServerRequest req, ServerResponse res) {
        Caller caller = authenticator.authenticate(req, admission);
        UUID id = endpointId(req);
        if (!authenticator.asKey(caller, () -> endpoints.delete(owner(caller), id))) {
            throw notFound();
        }
        res.status(Status.NO_CONTENT_204).send();
    }

    private void rotate(ServerRequest req, ServerResponse res) {
        Caller caller = authenticator.authenticate(req, admission);
        UUID id = endpointId(req);
        CreatedEndpoint rotated = authenticator.asKey(caller, () -> endpoints.rotateSecret(owner(caller), id))
                .orElseThrow(WebhooksService::notFound);
        JsonBody.send(res, Status.OK_200, WebhookJson.endpoint(rotated.endpoint()).add("secret", rotated.secret()).build());
    }

    private void test(ServerRequest req, ServerResponse res) {
        Caller caller = authenticator.authenticate(req, admission);
        UUID id = endpointId(req);
        String requestId = RequestInfo.of(req).map(RequestInfo::requestId).orElse(null);
        UUID eventId = authenticator.asKey(caller, () -> endpoints.sendTest(
                        new Owner.Key(caller.keyId(), caller.keyHash()), id, Event.test(clock.instant(), requestId)))
                .orElseThrow(WebhooksService::notFound);
        JsonBody.send(res, Status.ACCEPTED_202, JSON.createObjectBuilder()
                .add("event_id", eventId.toString())
                .add("type", "webhook.test")
                .add("status", "pending")
                .build());
    }

    private void deliveries(ServerRequest req, ServerResponse res) {
        Caller caller = authenticator.authenticate(req, admission);
        UUID id = endpointId(req);
        List<Problem.FieldError> errors = new ArrayList<>();
        Optional<String> status = req.query().first("status").asOptional();
        if (status.isPresent() && !DELIVERY_STATUSES.contains(status.get())) {
            errors.add(new Problem.FieldError("status", "must be pending, delivered or failed"));
        }
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
        authenticator.asKey(caller, () -> endpoints.find(owner(caller), id)).orElseThrow(WebhooksService::notFound);
        List<DeliveryView> page = outbox.deliveries(id, status, cursor.map(Long::parseLong), limit + 1);
        JsonArrayBuilder data = JSON.createArrayBuilder();
        page.stream().limit(limit).forEach(d -> data.add(WebhookJson.delivery(d)));
        JsonObjectBuilder body = JSON.createObjectBuilder().add("data", data);
        if (page.size() > limit) {
            body.add("next_cursor", String.valueOf(page.get(limit - 1).id()));
        } else {
            body.addNull("next_cursor");
        }
        JsonBody.send(res, Status.OK_200, body.build());
    }

    private static Owner owner(Caller caller) {
        return Owner.key(caller.keyId(), caller.keyHash());
    }

    private static UUID endpointId(ServerRequest req) {
        try {
            return UUID.fromString(req.path().pathParameters().get("id"));
        } catch (IllegalArgumentException e) {
            throw notFound();
        }
    }

    private static Problem notFound() {
        return Problem.notFound("no such webhook endpoint");
    }

    /** The fields of a request body, type-checked; unknown fields and wrong types each get an entry of the 422. */
    private static final class Fields {
        private final JsonObject body;
        private final List<Problem.FieldError> errors = new ArrayList<>();

        Fields(JsonObject body, Set<String> known) {
            this.body = body;
            body.keySet().stream().filter(name -> !known.contains(name)).sorted()
                    .forEach(name -> errors.add(new Problem.FieldError(name, "unknown field")));
        }

        Optional<String> string(String field) {
            return value(field).flatMap(value -> {
                if (value instanceof JsonString string) {
                    return Optional.of(string.getString());
                }
                errors.add(new Problem.FieldError(field, "must be a string"));
                return Optional.empty();
            });
        }

        String requiredString(String field) {
            if (value(field).isEmpty()) {
                errors.add(new Problem.FieldError(field, "is required"));
                return null;
            }
            return string(field).orElse(null);
        }

        Optional<Boolean> bool(String field) {
            return value(field).flatMap(value -> {
                if (value == JsonValue.TRUE || value == JsonValue.FALSE) {
                    return Optional.of(value == JsonValue.TRUE);
                }
                errors.add(new Problem.FieldError(field, "must be true or false"));
                return Optional.empty();
            });
        }

        Optional<List<String>> strings(String field) {
            return value(field).flatMap(value -> {
                if (value instanceof JsonArray array && array.stream().allMatch(JsonString.class::isInstance)) {
                    return Optional.of(array.getValuesAs(JsonString.class).stream().map(JsonString::getString).toList());
                }
                errors.add(new Problem.FieldError(field, "must be an array of strings"));
                return Optional.empty();
            });
        }

        private Optional<JsonValue> value(String field) {
            JsonValue value = body.get(field);
            return value == null || value.getValueType() == JsonValue.ValueType.NULL ? Optional.empty() : Optional.of(value);
        }

        void throwIfAny() {
            if (!errors.isEmpty()) {
                throw Problem.validation(errors);
            }
        }
    }
}
