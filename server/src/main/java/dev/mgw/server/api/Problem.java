package dev.mgw.server.api;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.helidon.http.Status;

/**
 * An RFC 9457 problem the client gets as {@code application/problem+json}: thrown by handlers,
 * written by {@link Problems}. Messages are for the client: never a secret, SQL or stack trace.
 */
public final class Problem extends RuntimeException {
    private final Status status;
    private final String slug;
    private final String title;
    private final List<FieldError> errors;
    private final Map<String, String> headers = new LinkedHashMap<>();

    private Problem(Status status, String slug, String title, String detail, List<FieldError> errors) {
        super(detail, null, false, false);
        this.status = status;
        this.slug = slug;
        this.title = title;
        this.errors = List.copyOf(errors);
    }

    /** One offending field of a 422. */
    public record FieldError(String field, String message) {
    }

    public static Problem badRequest(String detail) {
        return new Problem(Status.BAD_REQUEST_400, "bad-request", "Bad request", detail, List.of());
    }

    public static Problem unauthorized() {
        return new Problem(Status.UNAUTHORIZED_401, "unauthorized", "Unauthorized",
                           "a valid API key is required in the X-API-Key header", List.of());
    }

    public static Problem forbidden(String detail) {
        return new Problem(Status.FORBIDDEN_403, "forbidden", "Forbidden", detail, List.of());
    }

    public static Problem notFound(String detail) {
        return new Problem(Status.NOT_FOUND_404, "not-found", "Not found", detail, List.of());
    }

    public static Problem methodNotAllowed(String detail) {
        return new Problem(Status.METHOD_NOT_ALLOWED_405, "method-not-allowed", "Method not allowed", detail, List.of());
    }

    public static Problem conflict(String detail) {
        return new Problem(Status.CONFLICT_409, "conflict", "Conflict", detail, List.of());
    }

    /** A body that did not arrive in time: the connection is closed after the answer (the rest of the body may follow). */
    public static Problem requestTimeout(Duration limit) {
        return new Problem(Status.REQUEST_TIMEOUT_408, "request-timeout", "Request timeout",
                           "the request body did not arrive within " + limit.toSeconds() + " s", List.of())
                .closingConnection();
    }

    public static Problem payloadTooLarge(long maxBytes) {
        return new Problem(Status.REQUEST_ENTITY_TOO_LARGE_413, "payload-too-large", "Payload too large",
                           "the request body is larger than MAX_REQUEST_SIZE (" + maxBytes + " bytes)", List.of());
    }

    public static Problem unsupportedMediaType() {
        return new Problem(Status.UNSUPPORTED_MEDIA_TYPE_415, "unsupported-media-type", "Unsupported media type",
                           "send the body as Content-Type: application/json", List.of());
    }

    public static Problem validation(List<FieldError> errors) {
        return new Problem(Status.UNPROCESSABLE_CONTENT_422, "validation-failed", "Validation failed",
                           errors.size() == 1 ? "1 field is invalid" : errors.size() + " fields are invalid", errors);
    }

    /** Every recipient of the message is on the key's or the global suppression list (SPEC §5.2). */
    public static Problem allRecipientsSuppressed(List<String> suppressed) {
        return new Problem(Status.UNPROCESSABLE_CONTENT_422, "all-recipients-suppressed", "All recipients suppressed",
                           "every recipient is on the suppression list: " + String.join(", ", suppressed),
                           suppressed.stream().map(address -> new FieldError("to", address + " is suppressed")).toList());
    }

    public static Problem idempotencyMismatch() {
        return new Problem(Status.UNPROCESSABLE_CONTENT_422, "idempotency-key-reused", "Idempotency key reused",
                           "this Idempotency-Key was used with a different request body", List.of());
    }

    public static Problem tooManyRequests(String slug, String title, String detail) {
        return new Problem(Status.TOO_MANY_REQUESTS_429, slug, title, detail, List.of());
    }

    public static Problem unavailable(String detail) {
        return new Problem(Status.SERVICE_UNAVAILABLE_503, "service-unavailable", "Service unavailable", detail,
                           List.of()).header("Retry-After", "5");
    }

    /** More requests than the database keeps up with: try again in a second. */
    public static Problem busy() {
        return busy("the gateway is busy; retry shortly");
    }

    /** More work than the gateway takes on at once, as the detail says: try again in a second. */
    public static Problem busy(String detail) {
        return new Problem(Status.SERVICE_UNAVAILABLE_503, "service-unavailable", "Service unavailable", detail,
                           List.of()).header("Retry-After", "1");
    }

    public static Problem internalError() {
        return new Problem(Status.INTERNAL_SERVER_ERROR_500, "internal-error", "Internal server error",
                           "the request failed on the server; it has been logged", List.of());
    }

    /** The same problem status for any other HTTP status Helidon raised itself. */
    public static Problem of(Status status, String detail) {
        String slug = status.reasonPhrase().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
        return new Problem(status, slug, status.reasonPhrase(), detail, List.of());
    }

    /**
     * Closes the connection after the answer: for a request whose body could not be read to its
     * end, where the next request would start is unknown.
     */
    public Problem closingConnection() {
        return header("Connection", "close");
    }

    /** Adds a response header (Retry-After, X-RateLimit-*, …). */
    public Problem header(String name, Object value) {
        headers.put(name, String.valueOf(value));
        return this;
    }

    public Status status() {
        return status;
    }

    public String slug() {
        return slug;
    }

    public String title() {
        return title;
    }

    public String detail() {
        return getMessage();
    }

    public List<FieldError> errors() {
        return errors;
    }

    public Map<String, String> headers() {
        return headers;
    }
}
