package dev.mgw.server.api;

import java.io.ByteArrayOutputStream;
import java.util.Map;

import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;

import jakarta.json.JsonStructure;
import jakarta.json.JsonWriter;
import jakarta.json.JsonWriterFactory;

import static dev.mgw.core.JsonP.JSON;

/** Writes JSON response bodies. */
public final class JsonBody {
    public static final Header APPLICATION_JSON = HeaderValues.createCached(HeaderNames.CONTENT_TYPE, "application/json");
    public static final Header PROBLEM_JSON = HeaderValues.createCached(HeaderNames.CONTENT_TYPE,
                                                                        "application/problem+json");
    private static final JsonWriterFactory WRITERS = JSON.createWriterFactory(Map.of());

    private JsonBody() {
    }

    public static void send(ServerResponse res, Status status, JsonStructure body) {
        send(res, status, APPLICATION_JSON, body);
    }

    public static void send(ServerResponse res, Status status, Header contentType, JsonStructure body) {
        res.status(status).header(contentType).send(bytes(body));
    }

    public static byte[] bytes(JsonStructure body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonWriter writer = WRITERS.createWriter(out)) {
            writer.write(body);
        }
        return out.toByteArray();
    }
}
