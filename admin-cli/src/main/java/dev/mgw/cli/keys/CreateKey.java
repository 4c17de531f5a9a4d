package dev.mgw.cli.keys;

import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import dev.mgw.cli.MgwCommand;
import dev.mgw.cli.Output;
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
        CreatedKey created = KeysCommand.apiKeys(mgw()).create(new NewKey(name, limit,
                                                                          Optional.ofNullable(allowedRecipients),
                                                                          Optional.ofNullable(secret)));
        print(out(), created, json(), "Created");
        return 0;
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
