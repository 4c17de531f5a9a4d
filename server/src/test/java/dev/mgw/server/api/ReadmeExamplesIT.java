package dev.mgw.server.api;

import java.io.StringReader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.mgw.server.GatewayServerTest;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The curl examples of the README, run as written against the real server right after
 * {@code make seed}, and answering what the README shows for each.
 */
class ReadmeExamplesIT extends GatewayServerTest {
    private static final Pattern EXAMPLE = Pattern.compile("<!-- example: ([^>]+) -->\\s*```sh\\n(.*?)```", Pattern.DOTALL);
    private static final Pattern ANSWER = Pattern.compile("<!-- answer: ([^>]+) -->\\s*```json\\n(.*?)```", Pattern.DOTALL);
    private final URI uri;

    ReadmeExamplesIT(URI uri) {
        this.uri = uri;
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        start(builder, ReadmeExamplesIT.class, Map.of());
    }

    @Test
    void theSendExamplesAreAccepted() throws Exception {
        seedDevelopmentKey();
        String readme = Files.readString(Path.of("..", "README.md"));
        Map<String, JsonObject> answers = new HashMap<>();
        Matcher answer = ANSWER.matcher(readme);
        while (answer.find()) {
            answers.put(answer.group(1), Json.createReader(new StringReader(answer.group(2))).readObject());
        }
        List<String> names = new ArrayList<>();
        Matcher matcher = EXAMPLE.matcher(readme);
        while (matcher.find()) {
            String name = matcher.group(1);
            names.add(name);
            String command = matcher.group(2).replace("http://localhost:8000", "http://localhost:" + uri.getPort());
            String output = bash(command);
            JsonObject response = Json.createReader(new StringReader(output)).readObject();
            JsonObject documented = answers.get(name);
            assertTrue(documented != null, "the README shows the answer to " + name);
            for (String field : List.of("status", "message", "remaining")) {
                assertEquals(documented.get(field), response.get(field), name + ": " + field + " in " + output);
            }
            // a batch answers with one result per message
            List<JsonObject> results = response.containsKey("data")
                    ? response.getJsonArray("data").getValuesAs(JsonObject.class) : List.of(response);
            for (JsonObject result : results) {
                assertEquals("queued", result.getString("status"), name + ": " + output);
            }
        }
        assertEquals(List.of("basic send", "custom headers", "attachments", "batch"), names);
        assertEquals(5, gw.db().queryLong("SELECT count(*) FROM messages"));
        assertEquals("invoice.txt text/plain 25, logo.png image/png 68 logo", gw.db().queryString(
                "SELECT string_agg(concat_ws(' ', filename, content_type, size, content_id), ', ' ORDER BY position) "
                + "FROM message_attachments"));
        assertEquals("{\"X-Priority\": \"1\", \"List-Unsubscribe\": \"<mailto:unsubscribe@example.com>\"}",
                     gw.db().queryString("SELECT headers FROM messages WHERE cc_recipients <> '{}'"));
    }
}
