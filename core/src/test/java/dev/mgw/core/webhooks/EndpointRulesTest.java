package dev.mgw.core.webhooks;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.mgw.core.config.ConfigLoader;
import dev.mgw.core.events.EventType;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EndpointRulesTest {
    private final EndpointRules production = rules(Map.of());
    private final EndpointRules development = rules(Map.of("WEBHOOK_ALLOW_HTTP", "true", "WEBHOOK_ALLOW_PRIVATE", "true"));

    @Test
    void httpsUrlsWithAHostPass() {
        assertEquals(List.of(), urlErrors(production, "https://hooks.example.com/mgw?token=abc"));
        assertEquals(List.of(), urlErrors(production, "https://hooks.example.com:8443/"));
        assertEquals(List.of(), urlErrors(production, "https://93.184.216.34/hook"));
    }

    @Test
    void theUrlRulesOfTheSpec() {
        assertProblem(production, "http://hooks.example.com/", "must be an https:// URL");
        assertProblem(production, "ftp://hooks.example.com/", "must be an https:// URL");
        assertProblem(production, "hooks.example.com/mgw", "must be an https:// URL");
        assertProblem(production, "https://user:pw@hooks.example.com/", "must not contain user info (user:password@)");
        assertProblem(production, "https:///path", "has no valid host name");
        assertProblem(production, "https://hooks.example.com/#top", "must not have a fragment (#…)");
        assertProblem(production, "https://hooks.example.com/a b", "is not a valid URL: Illegal character in path");
        assertProblem(production, "https://example.com/" + "a".repeat(2030), "must be 1 to 2048 characters");
        assertProblem(development, "ftp://hooks.example.com/", "must be an http:// or https:// URL");
    }

    @Test
    void anAddressLiteralInARefusedRangeIsRefusedAtOnceUnlessPrivateIsAllowed() {
        assertProblem(production, "https://127.0.0.1/hook", "points to a loopback address, where webhooks are not sent");
        assertProblem(production, "https://[::1]:8443/hook", "points to a loopback address, where webhooks are not sent");
        assertProblem(production, "https://169.254.169.254/latest", "points to a link-local address, where webhooks are not sent");
        assertProblem(production, "https://10.0.0.7/", "points to a private address, where webhooks are not sent");
        assertEquals(List.of(), urlErrors(production, "https://localhost/hook"), "a name is checked at every attempt");
        assertEquals(List.of(), urlErrors(development, "http://127.0.0.1:8080/hook"));
    }

    @Test
    void eventsAreTypesOfTheSpecAndDefaultToAll() {
        List<InvalidEndpointException.FieldError> errors = new ArrayList<>();
        assertEquals(EventType.NAMES, production.events(Optional.empty(), errors));
        assertEquals(List.of("message.sent"), production.events(Optional.of(List.of("message.sent", "message.sent")), errors));
        assertTrue(errors.isEmpty());
        production.events(Optional.of(List.of("message.sent", "message.opened")), errors);
        assertEquals("events[1]", errors.getFirst().field());
        production.events(Optional.of(List.of()), errors);
        assertEquals("events", errors.getLast().field());
    }

    private static EndpointRules rules(Map<String, String> env) {
        return new EndpointRules(ConfigLoader.fromValues(env).webhooks());
    }

    private static List<String> urlErrors(EndpointRules rules, String url) {
        List<InvalidEndpointException.FieldError> errors = new ArrayList<>();
        rules.checkUrl(url, errors);
        return errors.stream().map(InvalidEndpointException.FieldError::message).toList();
    }

    private static void assertProblem(EndpointRules rules, String url, String problem) {
        List<String> errors = urlErrors(rules, url);
        assertEquals(1, errors.size(), url + ": " + errors);
        assertTrue(errors.getFirst().startsWith(problem), url + ": " + errors);
    }
}
