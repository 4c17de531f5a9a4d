package dev.mgw.core.suppressions;

import jakarta.json.JsonObjectBuilder;

import static dev.mgw.core.JsonP.JSON;

/** One JSON shape for a suppression entry, in the API and in {@code mgw --json}. */
public final class SuppressionJson {
    private SuppressionJson() {
    }

    /** {@code {"address", "reason", "detail", "created_at", "expires_at", "message_id"}}, nulls where absent. */
    public static JsonObjectBuilder entry(Suppression entry) {
        JsonObjectBuilder json = JSON.createObjectBuilder()
                .add("address", entry.address())
                .add("reason", entry.reason());
        entry.detail().ifPresentOrElse(detail -> json.add("detail", detail), () -> json.addNull("detail"));
        json.add("created_at", entry.createdAt().toString());
        entry.expiresAt().ifPresentOrElse(at -> json.add("expires_at", at.toString()), () -> json.addNull("expires_at"));
        entry.messageId().ifPresentOrElse(id -> json.add("message_id", id.toString()), () -> json.addNull("message_id"));
        return json;
    }
}
