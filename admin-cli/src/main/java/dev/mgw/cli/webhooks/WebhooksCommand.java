package dev.mgw.cli.webhooks;

import java.io.PrintWriter;
import java.util.Optional;
import java.util.UUID;

import dev.mgw.cli.Mgw;
import dev.mgw.cli.Output;
import dev.mgw.core.MgwException;
import dev.mgw.core.webhooks.CreatedEndpoint;
import dev.mgw.core.webhooks.Endpoint;
import dev.mgw.core.webhooks.EndpointRules;
import dev.mgw.core.webhooks.WebhookEndpoints;
import dev.mgw.core.webhooks.WebhookOutbox;

import jakarta.json.JsonObjectBuilder;
import picocli.CommandLine.Command;

import static dev.mgw.core.JsonP.JSON;

/** {@code mgw webhooks}: the webhook endpoints of every key, their deliveries, and a second chance for failed ones. */
@Command(name = "webhooks", mixinStandardHelpOptions = true,
         description = "Manage webhook endpoints, read their deliveries, replay failed ones.",
         subcommands = {ListWebhooks.class, CreateWebhook.class, DeleteWebhook.class, SetEnabled.Enable.class,
                        SetEnabled.Disable.class, RotateWebhookSecret.class, ListDeliveries.class, ReplayDeliveries.class})
public final class WebhooksCommand {
    static WebhookOutbox outbox(Mgw mgw) {
        // the tool has no workers to wake: a gateway finds what it queues at its next poll
        return new WebhookOutbox(mgw.database(), mgw.clock(), () -> {
        });
    }

    static WebhookEndpoints endpoints(Mgw mgw) {
        return new WebhookEndpoints(mgw.database(), new EndpointRules(mgw.config().webhooks()), outbox(mgw));
    }

    static UUID endpointId(String text) {
        try {
            return UUID.fromString(text.strip());
        } catch (IllegalArgumentException e) {
            throw new MgwException("'" + text + "' is not a webhook endpoint id (`mgw webhooks list` shows them)");
        }
    }

    static MgwException notFound(UUID id) {
        return new MgwException("no webhook endpoint " + id);
    }

    /** The JSON shape of an endpoint in every {@code mgw webhooks} command (never its secret). */
    static JsonObjectBuilder json(Endpoint e) {
        JsonObjectBuilder json = JSON.createObjectBuilder()
                .add("id", e.id().toString())
                .add("api_key_id", e.keyId().toString())
                .add("url", e.url());
        optional(json, "description", e.description());
        json.add("events", JSON.createArrayBuilder(e.events()))
                .add("enabled", e.enabled());
        optional(json, "disabled_reason", e.disabledReason());
        optional(json, "failing_since", e.failingSince().map(Object::toString));
        optional(json, "previous_secret_expires_at", e.secretRotatedUntil().map(Object::toString));
        optional(json, "last_delivery_at", e.lastDelivery().map(last -> last.at().toString()));
        Optional<Integer> code = e.lastDelivery().flatMap(Endpoint.LastDelivery::responseCode);
        if (code.isPresent()) {
            json.add("last_response_code", code.get());
        } else {
            json.addNull("last_response_code");
        }
        return json.add("created_at", e.createdAt().toString());
    }

    /** Prints an endpoint with its new secret: shared by create and rotate-secret. */
    static void print(PrintWriter out, CreatedEndpoint created, boolean json, String verb) {
        if (json) {
            Output.json(out, json(created.endpoint()).add("secret", created.secret()).build());
            return;
        }
        Endpoint endpoint = created.endpoint();
        out.println(verb + " webhook endpoint " + endpoint.id());
        out.println("  url:     " + endpoint.url());
        out.println("  events:  " + String.join(", ", endpoint.events()));
        out.println("  secret:  " + created.secret());
        out.println();
        out.println("Store the secret now: it is shown only this once.");
        out.flush();
    }

    static String status(Endpoint endpoint) {
        return endpoint.enabled() ? (endpoint.failingSince().isPresent() ? "failing" : "enabled") : "disabled";
    }

    private static void optional(JsonObjectBuilder json, String name, Optional<String> value) {
        value.ifPresentOrElse(v -> json.add(name, v), () -> json.addNull(name));
    }
}
