package dev.mgw.server.api;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import dev.mgw.core.messages.EmailAddress;
import dev.mgw.core.messages.MessageCursor;
import dev.mgw.core.messages.MessageFilter;

import io.helidon.common.parameters.Parameters;

/**
 * The query of {@code GET /api/v1/messages}: {@code status}, {@code to}, {@code tag=NAME:VALUE}
 * (repeatable, all must match), {@code since} and {@code until} (RFC 3339), {@code limit} and
 * {@code cursor}. Every bad or unknown parameter is one entry of a 422 naming it; an empty one
 * counts as absent.
 */
record MessageQuery(MessageFilter filter, Optional<MessageCursor> cursor, int limit) {
    static final int DEFAULT_LIMIT = 20;
    static final int MAX_LIMIT = 100;
    private static final Set<String> KNOWN = Set.of("status", "to", "tag", "since", "until", "limit", "cursor");

    static MessageQuery parse(Parameters query) {
        List<Problem.FieldError> errors = new ArrayList<>();
        query.names().stream().filter(name -> !KNOWN.contains(name)).sorted()
                .forEach(name -> errors.add(new Problem.FieldError(name, "is not a filter of this list; use "
                                                                         + "status, to, tag, since, until, limit or cursor")));
        Optional<String> status = single(query, "status", errors);
        if (status.isPresent() && !MessageFilter.STATUSES.contains(status.get())) {
            errors.add(new Problem.FieldError("status", "must be one of " + String.join(", ", MessageFilter.STATUSES)));
            status = Optional.empty();
        }
        Optional<String> to = single(query, "to", errors).flatMap(text -> {
            try {
                return Optional.of(EmailAddress.parse(text).address());
            } catch (IllegalArgumentException e) {
                errors.add(new Problem.FieldError("to", "is not a valid address: " + e.getMessage()));
                return Optional.empty();
            }
        });
        Map<String, String> tags = new LinkedHashMap<>();
        for (String tag : query.contains("tag") ? query.all("tag") : List.<String>of()) {
            if (tag.isEmpty()) {
                continue;
            }
            int colon = tag.indexOf(':');
            if (colon < 1) {
                errors.add(new Problem.FieldError("tag", "must be NAME:VALUE, e.g. tag=order:A-17"));
            } else if (tags.putIfAbsent(tag.substring(0, colon), tag.substring(colon + 1)) != null) {
                errors.add(new Problem.FieldError("tag", "names the tag '" + tag.substring(0, colon) + "' twice"));
            }
        }
        Optional<Instant> since = time(query, "since", errors);
        Optional<Instant> until = time(query, "until", errors);
        if (since.isPresent() && until.isPresent() && !since.get().isBefore(until.get())) {
            errors.add(new Problem.FieldError("until", "must be later than since"));
        }
        int limit = single(query, "limit", errors)
                .map(text -> text.matches("\\d{1,3}") ? Integer.parseInt(text) : -1)
                .orElse(DEFAULT_LIMIT);
        if (limit < 1 || limit > MAX_LIMIT) {
            errors.add(new Problem.FieldError("limit", "must be a number from 1 to " + MAX_LIMIT));
        }
        Optional<String> cursorText = single(query, "cursor", errors);
        Optional<MessageCursor> cursor = cursorText.flatMap(MessageCursor::decode);
        if (cursorText.isPresent() && cursor.isEmpty()) {
            errors.add(new Problem.FieldError("cursor", "is not a next_cursor from a previous page"));
        }
        if (!errors.isEmpty()) {
            throw Problem.validation(errors);
        }
        return new MessageQuery(new MessageFilter(status, Optional.empty(), to, tags, since, until), cursor, limit);
    }

    /** A parameter given at most once; empty counts as absent. */
    private static Optional<String> single(Parameters query, String name, List<Problem.FieldError> errors) {
        if (!query.contains(name)) {
            return Optional.empty();
        }
        List<String> values = query.all(name).stream().filter(v -> !v.isEmpty()).toList();
        if (values.size() > 1) {
            errors.add(new Problem.FieldError(name, "is given more than once"));
            return Optional.empty();
        }
        return values.stream().findFirst();
    }

    private static Optional<Instant> time(Parameters query, String name, List<Problem.FieldError> errors) {
        return single(query, name, errors).flatMap(text -> {
            try {
                // an unencoded + of an offset arrives as a space
                return Optional.of(OffsetDateTime.parse(text.replace(' ', '+'), DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                                           .toInstant());
            } catch (DateTimeParseException e) {
                errors.add(new Problem.FieldError(name, "must be an RFC 3339 time such as 2026-11-24T17:00:00Z"));
                return Optional.empty();
            }
        });
    }
}
