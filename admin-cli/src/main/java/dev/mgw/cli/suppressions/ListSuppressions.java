package dev.mgw.cli.suppressions;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import dev.mgw.cli.MgwCommand;
import dev.mgw.cli.Output;
import dev.mgw.cli.Table;
import dev.mgw.core.suppressions.Scope;
import dev.mgw.core.suppressions.Suppression;
import dev.mgw.core.suppressions.SuppressionJson;

import jakarta.json.JsonArrayBuilder;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import static dev.mgw.core.JsonP.JSON;

/** {@code mgw suppressions list [--key KEY | --global] [--reason R] [--address A] [--limit N]}. */
@Command(name = "list", mixinStandardHelpOptions = true,
         description = "List suppressed addresses, newest first: one key's, the global ones, or (by default) all.")
public final class ListSuppressions extends MgwCommand implements Callable<Integer> {
    @ArgGroup(exclusive = false)
    private SuppressionsCommand.Target target = new SuppressionsCommand.Target();

    @Option(names = "--reason", paramLabel = "R", description = "Only this reason: hard_bounce, complaint or manual.")
    private String reason;

    @Option(names = "--address", paramLabel = "A", description = "Only this address.")
    private String address;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "At most N entries (default 100).")
    private int limit;

    @Override
    public Integer call() {
        Scope scope = target.scope(mgw(), spec.commandLine(), Optional.of(Scope.all()));
        if (reason != null) {
            SuppressionsCommand.checkReason(reason);
        }
        List<Suppression> entries = new ArrayList<>(SuppressionsCommand.suppressions(mgw())
                .list(scope, Optional.ofNullable(address), Optional.ofNullable(reason), Optional.empty(),
                      Math.max(1, limit), Optional.empty()));
        if (json()) {
            JsonArrayBuilder array = JSON.createArrayBuilder();
            entries.forEach(entry -> array.add(SuppressionJson.entry(entry).add(
                    "api_key_id", entry.keyId().map(Object::toString).orElse("global"))));
            Output.json(out(), array.build());
            return 0;
        }
        Table table = Table.of("ADDRESS", "KEY ID", "REASON", "CREATED", "EXPIRES", "DETAIL");
        for (Suppression entry : entries) {
            table.row(entry.address(), entry.keyId().map(Object::toString).orElse("global"), entry.reason(),
                      Output.time(entry.createdAt()), Output.time(entry.expiresAt(), "never"),
                      entry.detail().orElse("-"));
        }
        table.print(out());
        return 0;
    }
}
