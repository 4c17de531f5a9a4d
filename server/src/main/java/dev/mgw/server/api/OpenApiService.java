package dev.mgw.server.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.List;
import java.util.Map;

import dev.mgw.server.observe.RequestInfo;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import jakarta.json.JsonWriter;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import static dev.mgw.core.JsonP.JSON;

/**
 * {@code GET /openapi} (SPEC §5.7): the OpenAPI 3.1 document kept in the repository
 * ({@value #RESOURCE}), served as it is written, in YAML, or in JSON when the client asks for it
 * ({@code ?format=json} or an {@code Accept} naming {@code application/json} and no YAML). The
 * document is read once; no model is built from it, so nothing of OpenAPI 3.1 is lost on the way.
 */
public final class OpenApiService implements HttpService {
    static final String RESOURCE = "/openapi.yaml";
    private static final String YAML_TYPE = "application/yaml; charset=UTF-8";
    private static final String JSON_TYPE = "application/json";

    private final byte[] yaml;
    private final byte[] json;

    public OpenApiService() {
        String text;
        try (InputStream in = OpenApiService.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the class path");
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.yaml = text.getBytes(StandardCharsets.UTF_8);
        this.json = toJson(text).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/openapi", RequestInfo.route("/openapi", this::document))
                .any("/openapi", Problems.methodNotAllowed("/openapi", "GET"));
    }

    private void document(ServerRequest req, ServerResponse res) {
        boolean asJson = req.query().first("format").asOptional()
                .map(format -> format.equalsIgnoreCase("json"))
                .orElseGet(() -> req.headers().first(HeaderNames.ACCEPT)
                        .map(accept -> accept.contains("application/json") && !accept.contains("yaml"))
                        .orElse(false));
        res.header(HeaderNames.CONTENT_TYPE, asJson ? JSON_TYPE : YAML_TYPE).send(asJson ? json : yaml);
    }

    /** The same document as JSON: YAML's plain data (maps, lists, strings, numbers, booleans, nulls). */
    static String toJson(String yamlText) {
        Object document = new Yaml(new SafeConstructor(new LoaderOptions())).load(yamlText);
        StringWriter out = new StringWriter();
        try (JsonWriter writer = JSON.createWriter(out)) {
            writer.write(json(document));
        }
        return out.toString();
    }

    private static JsonValue json(Object value) {
        return switch (value) {
            case null -> JsonValue.NULL;
            case Map<?, ?> map -> {
                JsonObjectBuilder object = JSON.createObjectBuilder();
                map.forEach((k, v) -> object.add(String.valueOf(k), json(v)));
                yield object.build();
            }
            case List<?> list -> {
                JsonArrayBuilder array = JSON.createArrayBuilder();
                list.forEach(item -> array.add(json(item)));
                yield array.build();
            }
            case Boolean b -> b ? JsonValue.TRUE : JsonValue.FALSE;
            case Integer i -> JSON.createValue(i);
            case Long l -> JSON.createValue(l);
            case BigInteger big -> JSON.createValue(big);
            case Number n -> JSON.createValue(n.doubleValue());
            case Date date -> JSON.createValue(date.toInstant().toString());
            default -> JSON.createValue(String.valueOf(value));
        };
    }
}
