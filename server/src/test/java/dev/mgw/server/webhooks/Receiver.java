package dev.mgw.server.webhooks;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import jakarta.json.Json;
import jakarta.json.JsonObject;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A real webhook receiver for tests (the JDK's HTTP server on loopback): it records every request
 * as it arrived and answers what the test scripts, 204 by default.
 */
final class Receiver implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final BlockingQueue<Request> arrivals = new LinkedBlockingQueue<>();
    private final List<Request> all = new CopyOnWriteArrayList<>();
    private volatile Function<Request, Reply> replies = request -> Reply.status(204);

    /** One request as it arrived: path, headers (lower-case names), the body's bytes. */
    record Request(String method, String path, Map<String, String> headers, byte[] body, long arrivedNanos) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        JsonObject json() {
            return Json.createReader(new StringReader(text())).readObject();
        }

        /** The {@code v1,…} entries of {@code webhook-signature}. */
        List<String> signatures() {
            return List.of(header("webhook-signature").split(" "));
        }
    }

    /** What to answer: a status, headers, a body, and how long to wait first. */
    record Reply(int status, Map<String, String> headers, String body, Duration delay) {
        static Reply status(int status) {
            return new Reply(status, Map.of(), "", Duration.ZERO);
        }

        Reply header(String name, String value) {
            Map<String, String> more = new TreeMap<>(headers);
            more.put(name, value);
            return new Reply(status, more, body, delay);
        }

        Reply body(String text) {
            return new Reply(status, headers, text, delay);
        }

        Reply after(Duration wait) {
            return new Reply(status, headers, body, wait);
        }
    }

    Receiver() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start a receiver", e);
        }
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** {@code http://<host>:<port><path>}. */
    String url(String host, String path) {
        return "http://" + host + ":" + port() + path;
    }

    /** From now on, answers each request with what {@code script} returns. */
    void answer(Function<Request, Reply> script) {
        this.replies = script;
    }

    /** Answers the next requests with these statuses, in order, then 204. */
    void answerInTurn(Reply... turns) {
        List<Reply> queue = new CopyOnWriteArrayList<>(List.of(turns));
        answer(request -> queue.isEmpty() ? Reply.status(204) : queue.removeFirst());
    }

    /** The next request that arrives (waiting up to {@code timeout}). */
    Request next(Duration timeout) {
        try {
            Request request = arrivals.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (request == null) {
                fail("no webhook arrived within " + timeout.toSeconds() + " s");
            }
            return request;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * The next request to {@code path} (its path and query), skipping what arrives for other paths: a
     * retry of an earlier test's event may still reach this shared receiver.
     */
    Request next(Duration timeout, String path) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Request request = next(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            if (request.path().equals(path)) {
                return request;
            }
        }
    }

    /** Every request so far. */
    List<Request> all() {
        return new ArrayList<>(all);
    }

    /** Forgets what arrived so far. */
    void clear() {
        arrivals.clear();
        all.clear();
    }

    private void handle(HttpExchange exchange) throws IOException {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
        }
        Map<String, String> headers = new TreeMap<>();
        exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT),
                                                                           String.join(",", values)));
        Request request = new Request(exchange.getRequestMethod(), exchange.getRequestURI().toString(), headers, body,
                                      System.nanoTime());
        all.add(request);
        arrivals.add(request);
        Reply reply = replies.apply(request);
        try {
            Thread.sleep(reply.delay());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        reply.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
        byte[] answer = reply.body().getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(reply.status(), answer.length == 0 ? -1 : answer.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(answer);
        } finally {
            exchange.close();
        }
    }

    /**
     * The Standard Webhooks signature, computed here independently of the gateway's code: base64
     * of HMAC-SHA256, keyed by the base64-decoded secret after {@code whsec_}, over
     * {@code id.timestamp.} followed by the body's exact bytes.
     */
    static String expectedSignature(String secret, String id, String timestamp, byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
        mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
        return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
