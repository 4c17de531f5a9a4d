package dev.mgw.cli.keys;

import dev.mgw.cli.Mgw;
import dev.mgw.core.keys.ApiKeys;
import dev.mgw.core.keys.KeySecrets;

import picocli.CommandLine.Command;

/** {@code mgw keys}: create, list, revoke, re-limit and rotate API keys. */
@Command(name = "keys",
         description = "Create, list, revoke, re-limit and rotate API keys.",
         mixinStandardHelpOptions = true,
         subcommands = {CreateKey.class, ListKeys.class, RevokeKey.class, SetLimit.class, RotateKey.class})
public final class KeysCommand {
    static ApiKeys apiKeys(Mgw mgw) {
        return new ApiKeys(mgw.database(), new KeySecrets(), mgw.clock());
    }
}
