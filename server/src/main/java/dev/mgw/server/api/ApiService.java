package dev.mgw.server.api;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import dev.mgw.core.events.Timeline;
import dev.mgw.core.events.TimelineJson;
import dev.mgw.core.messages.Acceptance;
import dev.mgw.core.messages.BatchAcceptance;
import dev.mgw.core.messages.BatchOutbox;
import dev.mgw.core.messages.BatchSubmission;
import dev.mgw.core.messages.Cancellations;
import dev.mgw.core.messages.EmailAddress;
import dev.mgw.core.messages.MessageView;
import dev.mgw.core.messages.Messages;
import dev.mgw.core.messages.NewMessage;
import dev.mgw.core.messages.Outbox;
import dev.mgw.core.messages.StoredAttachment;
import dev.mgw.core.messages.Submission;
import dev.mgw.core.quota.Charge;
import dev.mgw.core.quota.Quota;
import dev.mgw.core.webhooks.Owner;
import dev.mgw.server.auth.Authenticator;
import dev.mgw.server.auth.Caller;
import dev.mgw.server.observe.LogContext;
import dev.mgw.server.observe.RequestInfo;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;

import static dev.mgw.core.JsonP.JSON;

/**
 * {@code /api/v1}: send a message or a batch of them, list, read and cancel the key's messages,
 * read the key's usage. Send bodies are read within the {@link BodyBudget}, and their room is held until
 * the handler ends, when their attachments are in the database.
 */
public final class ApiService implements HttpService {
    private static final HeaderName IDEMPOTENCY_KEY = HeaderNames.create("Idempotency-Key");

    private final Runnable admission;
    private final Authenticator authenticator;
    private final SendRequestParser parser;
    private final Outbox outbox;
    private final BatchOutbox batchOutbox;
    private final Messages messages;
    private final Timeline timeline;
    private final Cancellations cancellations;
    private final Quota quota;
    private final SendListener listener;
    private final long maxRequestSize;
    private final BodyBudget budget;
    private final Clock clock;

    /** Told about every send's outcome: delivery wakes on it, metrics count it. */
    public interface SendListener {
        /** Stored and charged. */
        void accepted(UUID messageId, int recipients);

        /** Refused by the quota. */
        void overQuota();
    }

    /** {@code admission} runs first on every API request and throws (a 503) under overload: {@link Admission}. */
    public ApiService(Runnable admission, Authenticator authenticator, SendRequestParser parser, Outbox outbox,
                      BatchOutbox batchOutbox, Messages messages, Timeline timeline, Cancellations cancellations,
                      Quota quota, SendListener listener,
                      long maxRequestSize, BodyBudget budget, Clock clock) {
        this.admission = admission;
        this.authenticator = authenticator;
        this.parser = parser;
        this.outbox = outbox;
        this.batchOutbox = batchOutbox;
        this.messages = messages;
        this.timeline = timeline;
        this.cancellations = cancellations;
        this.quota = quota;
        this.listener = listener;
        this.maxRequestSize = maxRequestSize;
        this.budget = budget;
        this.clock = clock;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/send", RequestInfo.route("/api/v1/send", this::send))
                .post("/send/batch", RequestInfo.route("/api/v1/send/batch", this::sendBatch))
                .get("/messages", RequestInfo.route("/api/v1/messages", this::messages))
                .get("/messages/{id}", RequestInfo.route("/api/v1/messages/{id}", this::message))
                .delete("/messages/{id}", RequestInfo.route("/api/v1/messages/{id}", this::cancel))
                .get("/usage", RequestInfo.route("/api/v1/usage", this::usage))
                .any("/send", Problems.methodNotAllowed("/api/v1/send", "POST"))
                .any("/send/batch", Problems.methodNotAllowed("/api/v1/send/batch", "POST"))
                .any("/messages", Problems.methodNotAllowed("/api/v1/messages", "GET"))
                .any("/messages/{id}", Problems.methodNotAllowed("/api/v1/messages/{id}", "GET", "DELETE"))
                .any("/usage", Problems.methodNotAllowed("/api/v1/usage", "GET"));
    }

    private void send(ServerRequest req, ServerResponse res) {
        Caller caller = authenticator.authenticate(req, admission);
        try (BodyBudget.Reservation reservation = budget.reserve()) {
            JsonObject body = SendBody.read(req, maxRequestSize, reservation);
            Optional<String> idempotencyKey = idempotencyKey(req);
            NewMessage message = parser.parse(body);
            checkAllowedRecipients(caller, message, "");
            Submission submission = new Submission(caller.keyId(), caller.keyHash(), message, requestId(req),
                                                   idempotencyKey.map(k -> new Submission.Idempotency(
                                                           k, SendRequestParser.canonicalHash(body))));
            respond(caller, message, outbox.accept(submission), res);
        }
    }

    private void respond(Caller caller, NewMessage message, Acceptance acceptance, ServerResponse res) {
        switch (acceptance) {
            case Acceptance.Accepted accepted -> {
                LogContext.put("message_id", accepted.id());
                LogContext.put("recipients", message.recipientCount());
                listener.accepted(accepted.id(), message.recipientCount());
                rateLimitHeaders(res, accepted.charge());
                accepted(res, accepted.id(), accepted.charge().remaining(), accepted.suppressed());
            }
            case Acceptance.Replayed replayed -> {
                LogContext.put("message_id", replayed.id());
                res.header("Idempotent-Replayed", "true");
                accepted(res, replayed.id(), replayed.remaining().orElse(0), replayed.suppressed());
            }
            case Acceptance.AllSuppressed suppressed -> throw Problem.allRecipientsSuppressed(suppressed.suppressed());
            case Acceptance.IdempotencyMismatch mismatch -> throw Problem.idempotencyMismatch();
            case Acceptance.IdempotencyInFlight inFlight -> throw Problem.conflict(
                    "a request with this Idempotency-Key is being processed; retry it to get its response");
            case Acceptance.OverQuota over -> {
                listener.overQuota();
                throw overQuota(over.standing(), over.requested(), "message");
            }
            case Acceptance.KeyInvalid invalid -> throw authenticator.revoked(caller);
        }
    }

    /** All or nothing: every item valid, one charge for all their recipients, one transaction. */
    private void sendBatch(ServerRequest req, ServerResponse res) {
        Caller caller = authenticator.authenticate(req, admission);
        try (BodyBudget.Reservation reservation = budget.reserve()) {
            JsonObject body = SendBody.read(req, maxRequestSize, reservation);
            Optional<String> idempotencyKey = idempotencyKey(req);
            List<NewMessage> batch = parser.parseBatch(body);
            for (int i = 0; i < batch.size(); i++) {
                checkAllowedRecipients(caller, batch.get(i), "messages[" + i + "]: ");
            }
            BatchSubmission submission = new BatchSubmission(caller.keyId(), caller.keyHash(), batch, requestId(req),
                                                             idempotencyKey.map(k -> new Submission.Idempotency(
                                                                     k, SendRequestParser.canonicalBatchHash(body))));
            respondBatch(caller, batch, batchOutbox.accept(submission), res);
        }
    }

    private void respondBatch(Caller caller, List<NewMessage> batch, BatchAcceptance acceptance, ServerResponse res) {
        switch (acceptance) {
            case BatchAcceptance.Accepted accepted -> {
                LogContext.put("messages", batch.size());
                LogContext.put("recipients", batch.stream().mapToInt(NewMessage::recipientCount).sum());
                for (int i = 0; i < batch.size(); i++) {
                    int recipients = batch.get(i).recipientCount();
                    accepted.items().get(i).id().ifPresent(id -> listener.accepted(id, recipients));
                }
                rateLimitHeaders(res, accepted.charge());
                batchAccepted(res, accepted.items(), accepted.charge().remaining());
            }
            case BatchAcceptance.Replayed replayed -> {
                res.header("Idempotent-Replayed", "true");
                batchAccepted(res, replayed.items(), replayed.remaining().orElse(0));
            }
            case BatchAcceptance.IdempotencyMismatch mismatch -> throw Problem.idempotencyMismatch();
            case BatchAcceptance.OverQuota over -> {
                listener.overQuota();
                throw overQuota(over.standing(), over.requested(), "batch");
            }
            case BatchAcceptance.KeyInvalid invalid -> throw authenticator.revoked(caller);
        }
    }

    /** The batch's 202: each item's result in request order, and the quota left. */
    private static void batchAccepted(ServerResponse res, List<BatchAcceptance.Item> items, int remaining) {
        JsonArrayBuilder data = JSON.createArrayBuilder();
        for (BatchAcceptance.Item item : items) {
            JsonObjectBuilder result = JSON.createObjectBuilder();
            item.id().ifPresentOrElse(id -> result.add("id", id.toString()).add("status", "queued"),
                                      () -> result.addNull("id").add("status", "suppressed"));
            if (!item.suppressed().isEmpty()) {
                result.add("suppressed", JSON.createArrayBuilder(item.suppressed()));
            }
            data.add(result);
        }
        JsonBody.send(res, Status.ACCEPTED_202, JSON.createObjectBuilder().add("data", data).add("remaining", remaining)
                .build());
    }

    private static String requestId(ServerRequest req) {
        return RequestInfo.of(req).map(RequestInfo::requestId).orElse(null);
    }

    /**
     * The 202 body, written directly: it has no free text, and this is the hottest response there
     * is; with suppressed recipients (rare), through JSON-P.
     */
    private void accepted(ServerResponse res, UUID id, int remaining, List<String> suppressed) {
        String messageId = id.toString();
        res.header(HeaderNames.LOCATION, "/api/v1/messages/" + messageId);
        if (!suppressed.isEmpty()) {
            JsonBody.send(res, Status.ACCEPTED_202, JSON.createObjectBuilder()
                    .add("id", messageId)
                    .add("status", "queued")
                    .add("message", "Email queued for delivery")
                    .add("remaining", remaining)
                    .add("suppressed", JSON.createArrayBuilder(suppressed))
                    .build());
            return;
        }
        res.header(JsonBody.APPLICATION_JSON)
                .status(Status.ACCEPTED_202)
                .send(("{\"id\":\"" + messageId + "\",\"status\":\"queued\",\"message\":\"Email queued for delivery\","
                       + "\"remaining\":" + remaining + "}").getBytes(StandardCharsets.US_ASCII));
    }

    /** The 429 for a message or batch of {@code requested} recipients that the standing cannot take. */
    private Problem overQuota(Charge standing, int requested, String what) {
        String detail = standing.remaining() == 0
                ? "the daily limit of " + standing.limit() + " recipients is reached; it resets at "
                  + Charge.resetTime(clock)
                : "this " + what + " has " + requested + " recipients but only " + standing.remaining()
                  + " remain today; the limit resets at " + Charge.resetTime(clock);
        Problem problem = Problem.tooManyRequests("quota-exceeded", "Daily quota exceeded", detail)
                .header("Retry-After", Math.max(1, Charge.resetTime(clock).getEpochSecond() - clock.instant().getEpochSecond()));
        rateLimitHeaders(problem, standing);
        return problem;
    }

    private void rateLimitHeaders(ServerResponse res, Charge charge) {
        res.header("X-RateLimit-Limit", String.valueOf(charge.limit()));
        res.header("X-RateLimit-Remaining", String.valueOf(charge.remaining()));
        res.header("X-RateLimit-Reset", String.valueOf(Charge.resetTime(clock).getEpochSecond()));
    }

    private void rateLimitHeaders(Problem problem, Charge charge) {
        problem.header("X-RateLimit-Limit", charge.limit())
                .header("X-RateLimit-Remaining", charge.remaining())
                .header("X-RateLimit-Reset", Charge.resetTime(clock).getEpochSecond());
    }

    private void message(ServerRequest req, ServerResponse res) {
        Caller caller = authenticator.authenticate(req, admission);
        Optional<UUID> id = uuid(req.path().pathParameters().get("id"));
        if (id.isEmpty()) {
            throw Problem.notFound("no such message");
        }
        switch (messages.findOwn(caller.keyId(), caller.keyHash(), id.get())) {
            case Messages.Lookup.Found found -> JsonBody.send(res, Status.OK_200, JSON.createObjectBuilder(
                    messageJson(found.message()))
                    .add("events", TimelineJson.events(timeline.of(found.message())))
                    .build());
            case Messages.Lookup.NotFound notFound -> throw Problem.notFound("no such message");
            case Messages.Lookup.KeyInvalid invalid -> throw authenticator.revoked(caller);
        }
    }

    /** Cancels one of the key's queued messages (SPEC §5.3): 200 with it, 409 once it is sending or final. */
    private void cancel(ServerRequest req, ServerResponse res) {
        Caller caller = authenticator.authenticate(req, admission);
        UUID id = uuid(req.path().pathParameters().get("id")).orElseThrow(() -> Problem.notFound("no such message"));
        LogContext.put("message_id", id);
        switch (cancellations.cancel(Owner.key(caller.keyId(), caller.keyHash()), id)) {
            case Cancellations.Result.Canceled canceled -> JsonBody.send(res, Status.OK_200, messageJson(canceled.message()));
            case Cancellations.Result.NotCancelable notCancelable -> throw Problem.conflict(
                    "the message is " + notCancelable.message().status() + "; only a queued message can be canceled");
            case Cancellations.Result.NotFound notFound -> throw Problem.notFound("no such message");
            case Cancellations.Result.KeyInvalid invalid -> throw authenticator.revoked(caller);
        }
    }

    /** A page of the key's messages, newest first, filtered as the query says (SPEC §5.3). */
    private void messages(ServerRequest req, ServerResponse res) {
        Caller caller = authenticator.authenticate(req, admission);
        MessageQuery query = MessageQuery.parse(req.query());
        switch (messages.page(caller.keyId(), caller.keyHash(), query.filter(), query.cursor(), query.limit())) {
            case Messages.PageLookup.Found found -> {
                JsonArrayBuilder data = JSON.createArrayBuilder();
                found.page().messages().forEach(m -> data.add(messageJson(m)));
                JsonObjectBuilder body = JSON.createObjectBuilder().add("data", data);
                found.page().next().ifPresentOrElse(next -> body.add("next_cursor", next.encode()),
                                                    () -> body.addNull("next_cursor"));
                JsonBody.send(res, Status.OK_200, body.build());
            }
            case Messages.PageLookup.KeyInvalid invalid -> throw authenticator.revoked(caller);
        }
    }

    private void usage(ServerRequest req, ServerResponse res) {
        Caller caller = authenticator.authenticate(req, admission);
        Quota.Standing standing = quota.standing(caller.keyId(), caller.keyHash(), Charge.today(clock))
                .orElseThrow(() -> authenticator.revoked(caller));
        JsonBody.send(res, Status.OK_200, JSON.createObjectBuilder()
                .add("api_key_id", caller.keyId().toString())
                .add("name", standing.name())
                .add("daily_limit", standing.charge().limit())
                .add("emails_sent_today", standing.charge().used())
                .add("emails_remaining", standing.charge().remaining())
                .add("reset_time", Charge.resetTime(clock).toString())
                .build());
    }


    /** 403 for a recipient outside the key's allowed recipients; {@code where} names the batch item. */
    private static void checkAllowedRecipients(Caller caller, NewMessage message, String where) {
        if (caller.key().allowedRecipients().isEmpty()) {
            return;
        }
        for (List<EmailAddress> list : List.of(message.to(), message.cc(), message.bcc())) {
            for (EmailAddress address : list) {
                if (!caller.key().allowsRecipient(address)) {
                    throw Problem.forbidden(where + "this key may not send to " + address.address());
                }
            }
        }
    }

    private static Optional<String> idempotencyKey(ServerRequest req) {
        Optional<String> value = req.headers().first(IDEMPOTENCY_KEY);
        if (value.isPresent() && !value.get().matches("[\\x20-\\x7E]{1,255}")) {
            throw Problem.badRequest("Idempotency-Key must be 1 to 255 printable ASCII characters");
        }
        return value;
    }

    private static Optional<UUID> uuid(String text) {
        try {
            return Optional.of(UUID.fromString(text));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    static JsonObject messageJson(MessageView m) {
        JsonObjectBuilder tags = JSON.createObjectBuilder();
        m.tags().forEach(tags::add);
        JsonObjectBuilder json = JSON.createObjectBuilder()
                .add("id", m.id().toString())
                .add("status", m.status())
                .add("from", m.sender())
                .add("recipients", JSON.createObjectBuilder()
                        .add("to", JSON.createArrayBuilder(m.to()))
                        .add("cc", JSON.createArrayBuilder(m.cc()))
                        .add("bcc", JSON.createArrayBuilder(m.bcc())))
                .add("subject", m.subject())
                .add("tags", tags)
                .add("created_at", m.createdAt().toString());
        optional(json, "send_at", m.sendAt().map(Object::toString));
        optional(json, "sent_at", m.sentAt().map(Object::toString));
        json.add("attempts", m.attempts());
        optional(json, "last_error", m.lastError());
        m.smtpCode().ifPresentOrElse(code -> json.add("smtp_code", code), () -> json.addNull("smtp_code"));
        optional(json, "smtp_reply", m.smtpReply());
        json.add("attachments", attachmentsJson(m.attachments()));
        return json.build();
    }

    /** A message's attachments as its sender sees them: never the bytes. */
    private static JsonArrayBuilder attachmentsJson(List<StoredAttachment> attachments) {
        JsonArrayBuilder array = JSON.createArrayBuilder();
        for (StoredAttachment attachment : attachments) {
            JsonObjectBuilder json = JSON.createObjectBuilder()
                    .add("filename", attachment.filename())
                    .add("content_type", attachment.contentType())
                    .add("size", attachment.size());
            attachment.contentId().ifPresent(id -> json.add("content_id", id));
            array.add(json);
        }
        return array;
    }

    private static void optional(JsonObjectBuilder json, String name, Optional<String> value) {
        value.ifPresentOrElse(v -> json.add(name, v), () -> json.addNull(name));
    }
}
