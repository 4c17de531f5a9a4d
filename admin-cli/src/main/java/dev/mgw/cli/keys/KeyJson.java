package dev.mgw.cli.keys;

import dev.mgw.cli.Output;
import dev.mgw.core.keys.ApiKey;

import jakarta.json.JsonObjectBuilder;

import static dev.mgw.core.JsonP.JSON;

/** The JSON shape of a key in every {@code mgw keys} command. */
final class KeyJson {
    private KeyJson() {
    }

    static JsonObjectBuilder of(ApiKey key) {
        JsonObjectBuilder json = JSON.createObjectBuilder()
                .add("id", key.id().toString())
                .add("name", key.name())
                .add("prefix", key.prefix())
                .add("daily_limit", key.dailyLimit())
                .add("status", key.status());
        key.allowedRecipients().ifPresentOrElse(
                list -> json.add("allowed_recipients", JSON.createArrayBuilder(list)),
                () -> json.addNull("allowed_recipients"));
        json.add("created_at", key.createdAt().toString());
        addTime(json, "revoked_at", Output.iso(key.revokedAt()));
        addTime(json, "last_used_at", Output.iso(key.lastUsedAt()));
        return json;
    }

    private static void addTime(JsonObjectBuilder json, String name, String value) {
        if (value == null) {
            json.addNull(name);
        } else {
            json.add(name, value);
        }
    }
}
