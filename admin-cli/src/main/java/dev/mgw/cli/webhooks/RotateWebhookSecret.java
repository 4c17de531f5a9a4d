package dev.mgw.cli.webhooks;

import java.util.UUID;
import java.util.concurrent.Callable;

import dev.mgw.cli.MgwCommand;
import dev.mgw.core.webhooks.Owner;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code mgw webhooks rotate-secret ID}. */
@Command(name = "rotate-secret", mixinStandardHelpOptions = true,
         description = "Give an endpoint a new signing secret; the old one keeps signing too (a second signature) for 24 hours.")
public final class RotateWebhookSecret extends MgwCommand implements Callable<Integer> {
    @Parameters(paramLabel = "ID", description = "The endpoint id.")
    private String id;

    @Override
    public Integer call() {
        UUID endpointId = WebhooksCommand.endpointId(id);
        WebhooksCommand.print(out(), WebhooksCommand.endpoints(mgw()).rotateSecret(Owner.operator(), endpointId)
                                      .orElseThrow(() -> WebhooksCommand.notFound(endpointId)),
                              json(), "Rotated the secret of");
        return 0;
    }
}
