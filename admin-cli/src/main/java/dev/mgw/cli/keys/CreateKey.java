package dev.mgw.cli.keys;

import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import dev.mgw.cli.MgwCommand;
import dev.mgw.cli.Output;
import dev.mgw.core.keys.ApiKey;
import dev.mgw.core.keys.ApiKeys;
import dev.mgw.core.keys.CreatedKey;
import dev.mgw.core.keys.NewKey;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mgw keys create}: a new key, whose secret is printed this once. */
@Command(name = "create", mixinStandardHelpOptions = true,
         description = "Create an API key and print its secret (shown only this once).")
public final class CreateKey extends MgwCommand implements Callable<Integer> {
    @Option(names = "--name", required = true, description = "Unique among active keys, e.g. prod or billing-service.")
    private String name;

    @Option(names = "--limit", defaultValue = "15", paramLabel = "N",
            description = "Recipients per UTC day (default: ${DEFAULT-VALUE}).")
    private int limit;

    @Option(names = "--allowed-recipients", split = ",", paramLabel = "ADDR|DOMAIN",
            description = "Only these addresses or domains may receive mail from this key (default: anyone).")
    private List<String> allowedRecipients;

    @Option(names = "--key", paramLabel = "VALUE",
            description = "Import this secret instead of generating one (16-72 printable characters).")
    private String secret;

    @Override
    public Integer call() {
        ApiKeys keys = KeysCommand.apiKeys(mgw());
        NewKey request = new NewKey(name, limit, Optional.ofNullable(allowedRecipients), Optional.ofNullable(secret));
        Optional<ApiKey> existing = keys.sameImport(request);
        if (existing.isPresent()) {
            printExisting(existing.get());
            return 0;
        }
        print(out(), keys.create(request), json(), "Created");
        return 0;
    }

    /** Importing a secret again is not an error (so {@code make seed} can be repeated): nothing changes. */
    private void printExisting(ApiKey key) {
        if (json()) {
            Output.json(out(), KeyJson.of(key).add("already_existed", true).build());
            return;
        }
        out().println("Key '" + key.name() + "' already exists with this secret (id " + key.id() + ", prefix "
                      + key.prefix() + ", limit " + key.dailyLimit() + " recipients per UTC day); nothing changed.");
        out().flush();
    }

    /** Prints a key with its secret: shared by create and rotate. */
    static void print(PrintWriter out, CreatedKey created, boolean json, String verb) {
        if (json) {
            Output.json(out, KeyJson.of(created.key()).add("key", created.secret()).build());
            return;
        }
        var key = created.key();
        out.println(verb + " key '" + key.name() + "'");
        out.println("  id:      " + key.id());
        out.println("  prefix:  " + key.prefix());
        out.println("  limit:   " + key.dailyLimit() + " recipients per UTC day");
        key.allowedRecipients().ifPresent(list -> out.println("  allowed: " + String.join(", ", list)));
        out.println("  key:     " + created.secret());
        out.println();
        out.println("Store the key now: it is shown only this once.");
        out.flush();
    }
}
