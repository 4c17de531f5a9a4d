package dev.mgw.cli.webhooks;

import java.util.UUID;
import java.util.concurrent.Callable;

import dev.mgw.cli.MgwCommand;
import dev.mgw.cli.Output;
import dev.mgw.core.webhooks.Endpoint;
import dev.mgw.core.webhooks.Owner;
import dev.mgw.core.webhooks.WebhookJson;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code mgw webhooks enable ID} and {@code mgw webhooks disable ID}. */
abstract class SetEnabled extends MgwCommand implements Callable<Integer> {
    @Parameters(paramLabel = "ID", description = "The endpoint id.")
    private String id;

    private final boolean enabled;

    SetEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    @Override
    public Integer call() {
        UUID endpointId = WebhooksCommand.endpointId(id);
        Endpoint endpoint = WebhooksCommand.endpoints(mgw()).setEnabled(Owner.operator(), endpointId, enabled)
                .orElseThrow(() -> WebhooksCommand.notFound(endpointId));
        if (json()) {
            Output.json(out(), WebhookJson.endpoint(endpoint).build());
        } else {
            out().println(enabled
                                  ? "Enabled webhook endpoint " + endpointId + "; `mgw webhooks replay " + endpointId
                                    + "` queues its failed deliveries again."
                                  : "Disabled webhook endpoint " + endpointId + "; its pending deliveries are failed.");
            out().flush();
        }
        return 0;
    }

    @Command(name = "enable", mixinStandardHelpOptions = true,
             description = "Turn an endpoint on again (after a 410, three days of failures or a disable).")
    static final class Enable extends SetEnabled {
        Enable() {
            super(true);
        }
    }

    @Command(name = "disable", mixinStandardHelpOptions = true,
             description = "Turn an endpoint off: no new deliveries, its pending ones fail (replayable later).")
    static final class Disable extends SetEnabled {
        Disable() {
            super(false);
        }
    }
}
