package dev.mgw.server.api;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.stream.Collectors;

import dev.mgw.server.ApiClient;
import dev.mgw.server.GatewayServerTest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.SetUpServer;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code GET /openapi} (SPEC §5.7) and the document against the gateway: every example of the
 * document is sent to the running gateway (each operation also once without a key), and each
 * answer must have the status the example expects ({@code x-status}, else the operation's
 * success status), the headers the document requires, and a body valid against the document's
 * schema for that status, checked by a JSON Schema 2020-12 validator (networknt). So the
 * document and the gateway cannot drift apart.
 */
class OpenApiIT extends GatewayServerTest {
    /**
     * While a route of the document is not served yet, its 404 "no such resource" or 405 answers may
     * be skipped (and listed in the log) by turning this on. Off: every route of SPEC §5 is served,
     * so a missing one fails the test.
     */
    private static final boolean SKIP_UNSERVED_ROUTES = false;
    private static final String DOCUMENT_URI = "https://mgw.invalid/openapi.json";
    private static final Set<String> METHODS = Set.of("get", "post", "put", "patch", "delete");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static String key;
    private final ApiClient api;
    private JsonNode document;
    private JsonSchemaFactory schemas;

    OpenApiIT(URI uri) {
        this.api = new ApiClient(uri);
    }

    @SetUpServer
    static void server(WebServerConfig.Builder builder) {
        start(builder, OpenApiIT.class, Map.of("ALLOWED_FROM_DOMAINS", "example.com", "SMTP_FROM_ADDRESS",
                                               "noreply@example.com"));
    }

    @BeforeAll
    static void createKey() {
        key = gw.key("openapi", 10_000);
    }

    @Test
    void theDocumentIsServedAsWrittenInYamlAndAsJson() throws Exception {
        ApiClient.Response yaml = api.get("/openapi", null);
        assertEquals(200, yaml.status(), yaml::toString);
        assertTrue(yaml.header("Content-Type").startsWith("application/yaml"), yaml.header("Content-Type"));
        String kept;
        try (var in = OpenApiService.class.getResourceAsStream(OpenApiService.RESOURCE)) {
            kept = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertEquals(kept, yaml.body(), "the file kept in the repository, byte for byte");

        ApiClient.Response json = api.request("GET", "/openapi", null, null, "Accept", "application/json");
        assertEquals(200, json.status());
        assertEquals("application/json", json.header("Content-Type"));
        assertEquals(new YAMLMapper().readTree(kept), JSON.readTree(json.body()), "the same document");
        assertEquals(json.body(), api.get("/openapi?format=json", null).body());
        assertEquals("3.1.0", JSON.readTree(json.body()).get("openapi").asText());
        assertEquals(405, api.request("POST", "/openapi", null, "{}").status());
    }

    @Test
    void everyExampleIsAnsweredAsTheDocumentSays() throws Exception {
        document = JSON.readTree(api.get("/openapi?format=json", null).body());
        schemas = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012, builder -> builder
                .schemaLoaders(loaders -> loaders.schemas(Map.of(DOCUMENT_URI, document.toString()))));
        assertFalse(schemas.getSchema(SchemaLocation.of(DOCUMENT_URI + "#/components/schemas/SendAccepted"))
                            .validate(JSON.readTree("{\"id\": \"x\", \"status\": \"sent\"}")).isEmpty(),
                    "the validator sees the document's schemas");
        List<String> replayed = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> paths = document.get("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            for (Iterator<Map.Entry<String, JsonNode>> ops = path.getValue().fields(); ops.hasNext(); ) {
                Map.Entry<String, JsonNode> op = ops.next();
                if (!METHODS.contains(op.getKey())) {
                    continue;
                }
                for (Request request : requests(path.getKey(), path.getValue(), op.getKey(), op.getValue())) {
                    ApiClient.Response response = send(request);
                    if (SKIP_UNSERVED_ROUTES && unserved(response) && request.expected() != response.status()) {
                        skipped.add(request.name() + " → " + response.status());
                        continue;
                    }
                    check(request, op.getValue(), response);
                    replayed.add(request.name() + " → " + response.status());
                }
            }
        }
        System.getLogger(OpenApiIT.class.getName()).log(System.Logger.Level.INFO,
                "replayed " + replayed.size() + " examples: " + replayed + "; skipped (route not served here) "
                + skipped.size() + ": " + skipped);
        assertTrue(replayed.size() > skipped.size(), "replayed " + replayed + ", skipped " + skipped);
    }

    /** One request made from the document: the operation, its example, and the status the example expects. */
    private record Request(String name, String method, String path, String body, boolean withKey, int expected) {
    }

    /** Each example of the operation's body (or one request made of the parameter examples), and one without a key. */
    private List<Request> requests(String template, JsonNode pathItem, String method, JsonNode operation) {
        List<Request> requests = new ArrayList<>();
        // a key has at most 10 endpoints: each operation starts without any
        gw.db().sql("DELETE FROM webhook_endpoints");
        int success = successStatus(operation);
        String label = method.toUpperCase(Locale.ROOT) + " " + template;
        JsonNode examples = operation.at("/requestBody/content/application~1json/examples");
        if (examples.isObject() && !examples.isEmpty()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = examples.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> example = it.next();
                int expected = example.getValue().has("x-status") ? example.getValue().get("x-status").asInt() : success;
                requests.add(new Request(label + " (" + example.getKey() + ")", method,
                                         url(template, pathItem, operation), example.getValue().get("value").toString(),
                                         true, expected));
            }
        } else {
            requests.add(new Request(label, method, url(template, pathItem, operation), null, true, success));
        }
        String anyBody = requests.getFirst().body();
        requests.add(new Request(label + " (no key)", method, url(template, pathItem, operation), anyBody, false, 401));
        return requests;
    }

    private static int successStatus(JsonNode operation) {
        for (Iterator<String> codes = operation.get("responses").fieldNames(); codes.hasNext(); ) {
            String code = codes.next();
            if (code.startsWith("2")) {
                return Integer.parseInt(code);
            }
        }
        throw new AssertionError("no success response in " + operation.get("operationId"));
    }

    /** The path with its parameters filled (a fresh message or endpoint of the key, else the parameter's example) and the query's examples. */
    private String url(String template, JsonNode pathItem, JsonNode operation) {
        String path = template;
        StringJoiner query = new StringJoiner("&", "?", "").setEmptyValue("");
        for (JsonNode parameters : List.of(pathItem.path("parameters"), operation.path("parameters"))) {
            for (JsonNode parameter : parameters) {
                JsonNode p = resolve(parameter);
                String name = p.get("name").asText();
                switch (p.get("in").asText()) {
                    case "path" -> path = path.replace("{" + name + "}", pathValue(template, p));
                    case "query" -> {
                        if (p.has("example")) {
                            query.add(name + "=" + URLEncoder.encode(p.get("example").asText(), StandardCharsets.UTF_8));
                        }
                    }
                    default -> {
                    }
                }
            }
        }
        return path + query;
    }

    private String pathValue(String template, JsonNode parameter) {
        if (template.startsWith("/api/v1/messages/")) {
            ApiClient.Response sent = api.send(key, "{\"to\": \"user@example.net\", \"subject\": \"Hi\", \"text\": \"Hi\"}");
            assertEquals(202, sent.status(), sent::toString);
            return sent.json().getString("id");
        }
        if (template.startsWith("/api/v1/webhooks/")) {
            ApiClient.Response created = api.request("POST", "/api/v1/webhooks", key,
                                                     "{\"url\": \"https://hooks.example.com/" + System.nanoTime() + "\"}",
                                                     "Content-Type", "application/json");
            assertEquals(201, created.status(), created::toString);
            return created.json().getString("id");
        }
        assertNotNull(parameter.get("example"), "path parameter " + parameter + " of " + template + " needs an example");
        return URLEncoder.encode(parameter.get("example").asText(), StandardCharsets.UTF_8);
    }

    private ApiClient.Response send(Request request) {
        String[] headers = request.body() == null ? new String[0] : new String[] {"Content-Type", "application/json"};
        return api.request(request.method().toUpperCase(Locale.ROOT), request.path(), request.withKey() ? key : null,
                           request.body(), headers);
    }

    /** No route for this path (404 "no such resource") or not for this method (405). */
    private static boolean unserved(ApiClient.Response response) {
        return response.status() == 405
               || response.status() == 404 && response.body().contains("\"detail\":\"no such resource\"");
    }

    private void check(Request request, JsonNode operation, ApiClient.Response response) throws Exception {
        assertEquals(request.expected(), response.status(), request.name() + ": " + response);
        JsonNode documented = operation.at("/responses/" + response.status());
        assertTrue(!documented.isMissingNode(), request.name() + ": status " + response.status() + " is not documented");
        documented = resolve(documented);
        for (Iterator<Map.Entry<String, JsonNode>> headers = documented.path("headers").fields(); headers.hasNext(); ) {
            Map.Entry<String, JsonNode> header = headers.next();
            if (resolve(header.getValue()).path("required").asBoolean(false)) {
                assertNotNull(response.header(header.getKey()), request.name() + ": header " + header.getKey());
            }
        }
        JsonNode content = documented.path("content");
        if (content.isMissingNode() || content.isEmpty()) {
            assertEquals("", response.body(), request.name() + ": no body documented");
            return;
        }
        String contentType = response.header("Content-Type").split(";")[0].strip();
        JsonNode media = content.get(contentType);
        assertNotNull(media, request.name() + ": content type " + contentType + " is not documented; "
                             + content.fieldNames().next() + " is");
        String ref = media.at("/schema/$ref").asText("");
        assertTrue(ref.startsWith("#/components/schemas/"),
                   request.name() + ": response schemas are components (" + media.get("schema") + ")");
        JsonSchema schema = schemas.getSchema(SchemaLocation.of(DOCUMENT_URI + ref));
        Set<ValidationMessage> errors = schema.validate(JSON.readTree(response.body()));
        if (!errors.isEmpty()) {
            fail(request.name() + ": " + response.status() + " " + response.body() + " does not match " + ref + ": "
                 + errors.stream().map(ValidationMessage::getMessage).collect(Collectors.joining("; ")));
        }
    }

    /** A {@code $ref} to a component of the document, followed; anything else as it is. */
    private JsonNode resolve(JsonNode node) {
        JsonNode ref = node.get("$ref");
        return ref == null ? node : resolve(document.at(ref.asText().substring(1)));
    }
}
