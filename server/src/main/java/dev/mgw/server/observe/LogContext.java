package dev.mgw.server.observe;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Fields that every log line written by the current thread carries ({@code request_id},
 * {@code api_key_id}, {@code message_id}, …). Each request and each delivery runs on its own
 * (virtual) thread and clears what it set when it is done.
 */
public final class LogContext {
    private static final ThreadLocal<Map<String, Object>> FIELDS = ThreadLocal.withInitial(LinkedHashMap::new);

    private LogContext() {
    }

    public static void put(String name, Object value) {
        if (value == null) {
            FIELDS.get().remove(name);
        } else {
            FIELDS.get().put(name, value instanceof Number ? value : value.toString());
        }
    }

    public static String get(String name) {
        Object value = FIELDS.get().get(name);
        return value == null ? null : value.toString();
    }

    /** The fields of this thread, in the order they were set: numbers stay numbers, the rest is text. */
    public static Map<String, Object> fields() {
        return FIELDS.get();
    }

    public static void clear() {
        FIELDS.remove();
    }
}
