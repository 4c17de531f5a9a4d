package dev.mgw.core.messages;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.helidon.dbclient.DbStatement;

/**
 * The conditions on {@code m} of a listing of messages: only those its filter and cursor ask for,
 * each a fixed fragment with its own named parameters (no input ever becomes SQL text). A listing
 * without filters is then nothing but the key, the cursor and ORDER BY … LIMIT, which even a
 * generic plan of a prepared statement reads from the (api_key_id, created_at, id) index one page
 * at a time, where placeholders for absent filters would make the planner guess a few rows and
 * sort all of the key's messages instead.
 */
final class Conditions {
    private static final String KEY = "AND m.api_key_id = CAST(:key_filter AS uuid)";
    private static final String SINCE = "AND m.created_at >= CAST(:since AS timestamptz)";
    private static final String UNTIL = "AND m.created_at < CAST(:until AS timestamptz)";
    private static final String BEFORE = "AND (m.created_at, m.id) < (CAST(:before AS timestamptz), CAST(:before_id AS uuid))";
    private static final String STATUS = "AND m.status = CAST(:status AS text)";
    private static final String TO = """
            AND EXISTS (SELECT 1 FROM unnest(m.to_recipients || m.cc_recipients || m.bcc_recipients) AS r(address)
                         WHERE lower(r.address) = lower(CAST(:to AS text)))""";
    private static final String TAGS = "AND m.tags @> CAST(:tags AS jsonb)";

    private final List<String> fragments = new ArrayList<>();
    private final Map<String, Object> parameters = new LinkedHashMap<>();

    private Conditions() {
    }

    static Conditions of(MessageFilter filter, Optional<MessageCursor> after) {
        Conditions conditions = new Conditions();
        filter.keyId().ifPresent(key -> conditions.add(KEY, "key_filter", key.toString()));
        filter.since().ifPresent(since -> conditions.add(SINCE, "since", since.toString()));
        filter.until().ifPresent(until -> conditions.add(UNTIL, "until", until.toString()));
        after.ifPresent(cursor -> {
            conditions.add(BEFORE, "before", cursor.createdAt().toString());
            conditions.parameters.put("before_id", cursor.id().toString());
        });
        filter.status().ifPresent(status -> conditions.add(STATUS, "status", status));
        filter.to().ifPresent(to -> conditions.add(TO, "to", to));
        if (!filter.tags().isEmpty()) {
            conditions.add(TAGS, "tags", filter.tagsJson());
        }
        return conditions;
    }

    private void add(String fragment, String parameter, Object value) {
        fragments.add(fragment);
        parameters.put(parameter, value);
    }

    /** The statement with these conditions in place of its {@code %s}. */
    String fill(String statement) {
        return statement.formatted(String.join("\n", fragments));
    }

    /** Binds the conditions' parameters. */
    <S extends DbStatement<S>> S bind(S statement) {
        parameters.forEach(statement::addParam);
        return statement;
    }

    /** The parameters, by name, in the order of their fragments. */
    Map<String, Object> parameters() {
        return parameters;
    }
}
