package dev.mgw.server.api;

import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;

import dev.mgw.server.ApiClient;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Request bodies and problem assertions the API tests share. */
public final class Checks {
    private Checks() {
    }

    /** A valid send body to change one field of. */
    public static JsonObjectBuilder valid() {
        return Json.createObjectBuilder()
                .add("to", "user@example.com")
                .add("subject", "Your receipt")
                .add("text_body", "Thank you for your order.");
    }

    /** An attachment of a send body: the file name and the bytes, base64-encoded. */
    public static JsonObjectBuilder attachment(String filename, byte[] content) {
        return Json.createObjectBuilder().add("filename", filename).add("content", Base64.getEncoder().encodeToString(content));
    }

    /** {@code size} random bytes, the same for the same seed. */
    public static byte[] bytes(long seed, int size) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    public static String json(JsonObjectBuilder builder) {
        return builder.build().toString();
    }

    /** A problem+json response of this status and type, with the request id and no internals. */
    public static JsonObject assertProblem(ApiClient.Response response, int status, String slug) {
        assertEquals(status, response.status(), response::toString);
        assertEquals("application/problem+json", response.header("Content-Type"), response::toString);
        JsonObject problem = response.json();
        assertEquals("/problems/" + slug, problem.getString("type"), response::toString);
        assertEquals(status, problem.getInt("status"));
        assertFalse(problem.getString("title").isBlank());
        assertFalse(problem.getString("detail").isBlank());
        assertEquals(response.header("X-Request-ID"), problem.getString("request_id"));
        assertEquals("nosniff", response.header("X-Content-Type-Options"));
        assertFalse(response.body().contains("Exception"), "no exception names: " + response.body());
        assertFalse(response.body().toLowerCase().contains("select "), "no SQL: " + response.body());
        return problem;
    }

    /** A 422 whose errors name exactly these fields. */
    public static JsonObject assertInvalid(ApiClient.Response response, String... fields) {
        JsonObject problem = assertProblem(response, 422, "validation-failed");
        List<String> named = problem.getJsonArray("errors").getValuesAs(JsonObject.class).stream()
                .map(e -> e.getString("field"))
                .collect(Collectors.toList());
        assertEquals(List.of(fields), named, response::toString);
        problem.getJsonArray("errors").getValuesAs(JsonObject.class)
                .forEach(e -> assertFalse(e.getString("message").isBlank()));
        return problem;
    }

    /** The message of the only error entry. */
    public static String onlyError(JsonObject problem) {
        assertEquals(1, problem.getJsonArray("errors").size(), problem::toString);
        return problem.getJsonArray("errors").getJsonObject(0).getString("message");
    }

    public static void assertAccepted(ApiClient.Response response) {
        assertEquals(202, response.status(), response::toString);
        assertTrue(response.json().getString("id").matches("[0-9a-f-]{36}"), response::toString);
    }
}
