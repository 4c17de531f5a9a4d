package dev.mgw.core.webhooks;

import java.util.List;
import java.util.stream.Collectors;

import dev.mgw.core.MgwException;

/** An endpoint's fields break the rules of SPEC §5.6 and §11; one entry per offending field. */
public final class InvalidEndpointException extends MgwException {
    private final List<FieldError> errors;

    public InvalidEndpointException(List<FieldError> errors) {
        super(errors.stream().map(e -> e.field() + " " + e.message()).collect(Collectors.joining("; ")));
        this.errors = List.copyOf(errors);
    }

    public List<FieldError> errors() {
        return errors;
    }

    /** One offending field (a request's field name, e.g. {@code url} or {@code events[1]}). */
    public record FieldError(String field, String message) {
    }
}
