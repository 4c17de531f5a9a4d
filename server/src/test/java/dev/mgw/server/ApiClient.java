package dev.mgw.server;

import java.io.StringReader;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;

/**
 * A plain HTTP/1.1 client for the gateway's API in tests. It keeps the JDK's default (platform
 * thread) executor: clients are outside the server, and virtual ones would crowd its scheduler.
 */
public final class ApiClient {
    private final URI base;
    private final HttpClient http;

    public ApiClient(URI base) {
        this.base = base;
        this.http = builder().build();
    }

    /** A client whose connections come from this local address (another loopback address than 127.0.0.1, say). */
    public ApiClient(URI base, InetAddress localAddress) {
        this.base = base;
        this.http = builder().localAddress(localAddress).build();
    }

    private static HttpClient.Builder builder() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5));
    }

    /** {@code POST /api/v1/send} with a JSON body. */
    public Response send(String key, String json, String... headers) {
        String[] all = new String[headers.length + 2];
        all[0] = "Content-Type";
        all[1] = "application/json";
        System.arraycopy(headers, 0, all, 2, headers.length);
        return request("POST", "/api/v1/send", key, json, all);
    }

    public Response get(String path, String key) {
        return request("GET", path, key, null);
    }

    /** Any request; {@code headers} are name, value pairs; a null key sends no X-API-Key. */
    public Response request(String method, String path, String key, String body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                                             : HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            request.header("X-API-Key", key);
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(response.statusCode(), response.headers(), response.body());
        } catch (Exception e) {
            throw new IllegalStateException(method + " " + path + " failed: " + e, e);
        }
    }

    public record Response(int status, HttpHeaders headers, String body) {
        public JsonObject json() {
            try (JsonReader reader = Json.createReader(new StringReader(body))) {
                return reader.readObject();
            }
        }

        public String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        public Map<String, java.util.List<String>> allHeaders() {
            return headers.map();
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }
}
