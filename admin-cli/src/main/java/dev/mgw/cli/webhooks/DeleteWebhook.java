package dev.mgw.cli.webhooks;

import java.util.UUID;
import java.util.concurrent.Callable;

import dev.mgw.cli.MgwCommand;
import dev.mgw.cli.Output;
import dev.mgw.core.webhooks.Owner;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import static dev.mgw.core.JsonP.JSON;

/** {@code mgw webhooks delete ID}. */
@Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a webhook endpoint and its deliveries.")
public final class DeleteWebhook extends MgwCommand implements Callable<Integer> {
    @Parameters(paramLabel = "ID", description = "The endpoint id.")
    private String id;

    @Override
    public Integer call() {
        UUID endpointId = WebhooksCommand.endpointId(id);
        if (!WebhooksCommand.endpoints(mgw()).delete(Owner.operator(), endpointId)) {
            throw WebhooksCommand.notFound(endpointId);
        }
        if (json()) {
            Output.json(out(), JSON.createObjectBuilder().add("id", endpointId.toString()).add("deleted", true).build());
        } else {
            out().println("Deleted webhook endpoint " + endpointId + " and its deliveries.");
            out().flush();
        }
        return 0;
    }
}
