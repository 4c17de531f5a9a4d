package dev.mgw.cli.keys;

import java.util.List;
import java.util.concurrent.Callable;

import dev.mgw.cli.MgwCommand;
import dev.mgw.cli.Output;
import dev.mgw.cli.Table;
import dev.mgw.core.keys.KeyListing;

import jakarta.json.JsonArrayBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import static dev.mgw.core.JsonP.JSON;

/** {@code mgw keys list}. */
@Command(name = "list", mixinStandardHelpOptions = true, description = "List active keys (with --all, revoked ones too).")
public final class ListKeys extends MgwCommand implements Callable<Integer> {
    @Option(names = "--all", description = "Include revoked keys.")
    private boolean all;

    @Override
    public Integer call() {
        List<KeyListing> keys = KeysCommand.apiKeys(mgw()).list(all);
        if (json()) {
            JsonArrayBuilder array = JSON.createArrayBuilder();
            keys.forEach(k -> array.add(KeyJson.of(k.key()).add("used_today", k.usedToday())));
            Output.json(out(), array.build());
            return 0;
        }
        Table table = Table.of("ID", "NAME", "PREFIX", "#LIMIT", "#USED TODAY", "STATUS", "CREATED", "LAST USED");
        for (KeyListing listing : keys) {
            var key = listing.key();
            table.row(key.id(), key.name(), key.prefix(), key.dailyLimit(), listing.usedToday(), key.status(),
                      Output.time(key.createdAt()), Output.time(key.lastUsedAt(), "never"));
        }
        table.print(out());
        return 0;
    }
}
