package dev.mgw.cli.keys;

import java.util.concurrent.Callable;

import dev.mgw.cli.MgwCommand;
import dev.mgw.cli.Output;
import dev.mgw.core.keys.ApiKey;
import dev.mgw.core.keys.ApiKeys;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code mgw keys set-limit KEY --limit N}. */
@Command(name = "set-limit", mixinStandardHelpOptions = true,
         description = "Change a key's daily limit; it applies to the very next request.")
public final class SetLimit extends MgwCommand implements Callable<Integer> {
    @Parameters(paramLabel = "KEY", description = "Id, name or prefix of the key.")
    private String reference;

    @Option(names = "--limit", required = true, paramLabel = "N", description = "Recipients per UTC day.")
    private int limit;

    @Override
    public Integer call() {
        ApiKeys keys = KeysCommand.apiKeys(mgw());
        ApiKey key = keys.resolve(reference);
        ApiKey updated = keys.setLimit(key, limit);
        if (json()) {
            Output.json(out(), KeyJson.of(updated).build());
        } else {
            out().println("Key '" + updated.name() + "' (" + updated.prefix() + "): daily limit " + key.dailyLimit()
                          + " -> " + updated.dailyLimit());
            out().flush();
        }
        return 0;
    }
}
