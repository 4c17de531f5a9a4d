package dev.mgw.cli.webhooks;

import java.io.PrintWriter;
import java.util.UUID;

import dev.mgw.cli.Mgw;
import dev.mgw.cli.Output;
import dev.mgw.core.MgwException;
import dev.mgw.core.webhooks.CreatedEndpoint;
import dev.mgw.core.webhooks.Endpoint;
import dev.mgw.core.webhooks.EndpointRules;
import dev.mgw.core.webhooks.WebhookEndpoints;
import dev.mgw.core.webhooks.WebhookJson;
import dev.mgw.core.webhooks.WebhookOutbox;

import picocli.CommandLine.Command;

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

    /** Prints an endpoint with its new secret: shared by create and rotate-secret. */
    static void print(PrintWriter out, CreatedEndpoint created, boolean json, String verb) {
        if (json) {
            Output.json(out, WebhookJson.endpoint(created.endpoint()).add("secret", created.secret()).build());
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
}
