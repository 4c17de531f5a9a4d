package dev.mgw.cli.keys;

import java.util.concurrent.Callable;

import dev.mgw.cli.MgwCommand;
import dev.mgw.cli.Output;
import dev.mgw.core.keys.ApiKey;
import dev.mgw.core.keys.ApiKeys;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code mgw keys revoke KEY}. */
@Command(name = "revoke", mixinStandardHelpOptions = true,
         description = "Revoke a key: it stops working at once, on every server.")
public final class RevokeKey extends MgwCommand implements Callable<Integer> {
    @Parameters(paramLabel = "KEY", description = "Id, name or prefix of the key.")
    private String reference;

    @Override
    public Integer call() {
        ApiKeys keys = KeysCommand.apiKeys(mgw());
        ApiKey revoked = keys.revoke(keys.resolve(reference));
        if (json()) {
            Output.json(out(), KeyJson.of(revoked).build());
        } else {
            out().println("Revoked key '" + revoked.name() + "' (" + revoked.prefix() + ", " + revoked.id() + ")");
            out().flush();
        }
        return 0;
    }
}
