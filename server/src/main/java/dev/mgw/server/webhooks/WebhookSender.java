package dev.mgw.server.webhooks;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

import javax.net.ssl.SSLException;

import dev.mgw.core.Version;
import dev.mgw.core.config.GatewayConfig;
import dev.mgw.core.db.Database;
import dev.mgw.core.webhooks.AddressRules;
import dev.mgw.core.webhooks.ClaimedDelivery;
import dev.mgw.core.webhooks.Signatures;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webclient.api.DnsAddressLookup;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.Proxy;
import io.helidon.webclient.api.WebClient;
import io.helidon.webclient.spi.DnsResolver;

/**
 * One webhook POST (SPEC §11): the stored body byte for byte, signed per Standard Webhooks
 * ({@code webhook-id}, {@code webhook-timestamp}, {@code webhook-signature} with a second
 * signature during a rotation), redirects never followed.
 *
 * <p>Server-side request forgery: the client's DNS resolver is {@link AddressRules#resolve}, so
 * the one resolution of the host is the one that is checked, and the socket connects to exactly
 * the address that passed (TLS still verifies the host name, which the address carries). Every
 * attempt opens its own connection (no keep-alive, no proxy), so every attempt resolves and
 * checks again: a name that turns private later (DNS rebinding) is refused on its next attempt,
 * and no kept-alive connection skips the check.
 */
final class WebhookSender implements AutoCloseable {
    static final int EXCERPT_BYTES = 1024;
    private static final Duration MAX_CONNECT = Duration.ofSeconds(5);
    private static final HeaderName WEBHOOK_ID = HeaderNames.create("webhook-id");
    private static final HeaderName WEBHOOK_TIMESTAMP = HeaderNames.create("webhook-timestamp");
    private static final HeaderName WEBHOOK_SIGNATURE = HeaderNames.create("webhook-signature");
    private static final String USER_AGENT = "mail-gateway/" + Version.get();

    private final WebClient client;
    private final Clock clock;

    WebhookSender(GatewayConfig.Webhooks settings, Clock clock) {
        this.clock = clock;
        Duration timeout = settings.timeout();
        this.client = WebClient.builder()
                .dnsResolver(new CheckedResolver(new AddressRules(settings.allowPrivate())))
                .proxy(Proxy.noProxy())
                .followRedirects(false)
                .keepAlive(false)
                .shareConnectionCache(false)
                .sendExpectContinue(false)
                .connectTimeout(timeout.compareTo(MAX_CONNECT) < 0 ? timeout : MAX_CONNECT)
                .readTimeout(timeout)
                .build();
    }

    /** What the endpoint made of one attempt. */
    sealed interface Attempt {
    }

    /**
     * The endpoint answered.
     *
     * @param excerpt    the first {@value #EXCERPT_BYTES} bytes of the body, as text
     * @param retryAfter its {@code Retry-After}, if it sent one
     */
    record Answered(int code, String excerpt, Optional<Duration> retryAfter) implements Attempt {
        boolean delivered() {
            return code >= 200 && code < 300;
        }
    }

    /** No answer: refused address, connection refused, TLS failure, time-out. */
    record NoAnswer(String error) implements Attempt {
    }

    /** Posts the delivery, signed for this moment. */
    Attempt post(ClaimedDelivery delivery) {
        byte[] body = delivery.payload().getBytes(StandardCharsets.UTF_8);
        String id = delivery.eventId().toString();
        long timestamp = clock.instant().getEpochSecond();
        String signature = Signatures.sign(delivery.secret(), id, timestamp, body)
                           + delivery.previousSecret().map(previous -> " " + Signatures.sign(previous, id, timestamp, body))
                                   .orElse("");
        try (HttpClientResponse response = client.post()
                .uri(URI.create(delivery.url()))
                .header(WEBHOOK_ID, id)
                .header(WEBHOOK_TIMESTAMP, String.valueOf(timestamp))
                .header(WEBHOOK_SIGNATURE, signature)
                .header(HeaderNames.CONTENT_TYPE, "application/json")
                .header(HeaderNames.USER_AGENT, USER_AGENT)
                .submit(body)) {
            return new Answered(response.status().code(), excerpt(response),
                                response.headers().first(HeaderNames.RETRY_AFTER).flatMap(this::retryAfter));
        } catch (RuntimeException e) {
            return new NoAnswer(describe(e));
        }
    }

    /**
     * The start of the body, as text; empty when it cannot be read. The status line is the answer:
     * a body that ends short (an HTTP/1.0 reply closed without a length, say) does not undo it.
     */
    private static String excerpt(HttpClientResponse response) {
        try {
            byte[] start = response.inputStream().readNBytes(EXCERPT_BYTES);
            return new String(start, StandardCharsets.UTF_8).replace('\0', '\uFFFD');
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** {@code Retry-After} as seconds or as an HTTP date. */
    private Optional<Duration> retryAfter(String value) {
        String text = value.strip();
        if (text.matches("\\d{1,9}")) {
            return Optional.of(Duration.ofSeconds(Long.parseLong(text)));
        }
        try {
            return Optional.of(Duration.between(clock.instant(),
                                                ZonedDateTime.parse(text, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant()));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** One line about a failure without an answer. */
    static String describe(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            switch (t) {
                case AddressRules.RefusedAddressException refused -> {
                    return "refused address: " + refused.getMessage();
                }
                case ConnectException connect -> {
                    return "connection refused";
                }
                case NoRouteToHostException noRoute -> {
                    return "no route to host";
                }
                case SocketTimeoutException timeout -> {
                    return "timed out";
                }
                case InterruptedIOException interrupted -> {
                    return "timed out";
                }
                case SSLException tls -> {
                    return "TLS: " + tls.getMessage();
                }
                default -> {
                }
            }
        }
        return Database.rootMessage(e);
    }

    @Override
    public void close() {
        client.closeResource();
    }

    /** Resolves through the address rules: the connection goes to the address this returns. */
    private record CheckedResolver(AddressRules rules) implements DnsResolver {
        @Override
        public InetAddress resolveAddress(String hostname, DnsAddressLookup dnsAddressLookup) {
            return rules.resolve(hostname);
        }
    }
}
