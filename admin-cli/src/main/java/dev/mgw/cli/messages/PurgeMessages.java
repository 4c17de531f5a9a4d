package dev.mgw.cli.messages;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import dev.mgw.cli.MgwCommand;
import dev.mgw.cli.Output;
import dev.mgw.cli.Table;
import dev.mgw.core.MgwException;
import dev.mgw.core.config.GatewayConfig;
import dev.mgw.core.retention.Retention;

import jakarta.json.JsonObjectBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import static dev.mgw.core.JsonP.JSON;

/** {@code mgw messages purge [--dry-run]}: the retention every gateway runs by itself, now. */
@Command(name = "purge", mixinStandardHelpOptions = true,
         description = {"Apply retention now: remove the bodies and attachment bytes of messages finished more than "
                        + "RETENTION_BODY_DAYS ago, and messages, webhook deliveries and batch records finished more "
                        + "than RETENTION_DAYS ago. Queued and sending messages and daily usage are never touched.",
                        "Gateways do the same on their own every 10 minutes."})
public final class PurgeMessages extends MgwCommand implements Callable<Integer> {
    @Option(names = "--dry-run", description = "Only count what would be removed.")
    private boolean dryRun;

    @Override
    public Integer call() {
        GatewayConfig.Retention settings = mgw().config().retention();
        Retention retention = new Retention(mgw().database(), mgw().clock(), settings);
        Retention.Removed removed;
        if (dryRun) {
            removed = retention.due();
        } else {
            Optional<Retention.Removed> purged = retention.purge(Retention.BATCH);
            removed = purged.orElseThrow(() -> new MgwException(
                    "another process (a gateway) is purging right now; nothing was removed, try again in a minute"));
        }
        if (json()) {
            JsonObjectBuilder counts = JSON.createObjectBuilder();
            removed.counts().forEach((name, n) -> counts.add(name.replace(' ', '_'), n));
            Output.json(out(), JSON.createObjectBuilder()
                    .add("dry_run", dryRun)
                    .add("body_days", settings.bodyDays())
                    .add("days", settings.days())
                    .add(dryRun ? "would_remove" : "removed", counts)
                    .build());
            return 0;
        }
        out().println((dryRun ? "Would remove" : "Removed") + " (RETENTION_BODY_DAYS=" + settings.bodyDays()
                      + ", RETENTION_DAYS=" + settings.days() + "):");
        Table table = Table.of("WHAT", "#COUNT");
        for (Map.Entry<String, Long> entry : removed.counts().entrySet()) {
            table.row(entry.getKey(), entry.getValue());
        }
        table.print(out());
        return 0;
    }
}
