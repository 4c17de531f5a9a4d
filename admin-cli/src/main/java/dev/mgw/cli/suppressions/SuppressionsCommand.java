package dev.mgw.cli.suppressions;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

import dev.mgw.cli.Mgw;
import dev.mgw.core.MgwException;
import dev.mgw.core.keys.ApiKeys;
import dev.mgw.core.keys.KeySecrets;
import dev.mgw.core.messages.EmailAddress;
import dev.mgw.core.suppressions.Scope;
import dev.mgw.core.suppressions.Suppression;
import dev.mgw.core.suppressions.Suppressions;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mgw suppressions}: the addresses each key (or every key) does not send to. */
@Command(name = "suppressions", mixinStandardHelpOptions = true,
         description = "List, add, remove, import and export suppressed addresses, per key or global.",
         subcommands = {ListSuppressions.class, AddSuppressions.class, RemoveSuppressions.class,
                        ImportSuppressions.class, ExportSuppressions.class})
public final class SuppressionsCommand {
    /** Entries read per statement when a command goes through a whole list. */
    static final int PAGE = 1000;

    /** {@code --key KEY | --global}: one key's list, or the global one that applies to every key. */
    public static final class Target {
        @Option(names = "--key", paramLabel = "KEY", description = "This key's list (id, name or prefix).")
        String key;

        @Option(names = "--global", description = "The global list, which applies to every key.")
        boolean global;

        /** The list named, or {@code otherwise} when neither option is given. */
        Scope scope(Mgw mgw, CommandLine commandLine, Optional<Scope> otherwise) {
            if (key != null && global) {
                throw new CommandLine.ParameterException(commandLine, "give --key KEY or --global, not both");
            }
            if (key != null) {
                return Scope.key(keys(mgw).resolve(key).id());
            }
            if (global) {
                return Scope.globalList();
            }
            return otherwise.orElseThrow(() -> new CommandLine.ParameterException(
                    commandLine, "say whose list: --key KEY or --global"));
        }
    }

    static ApiKeys keys(Mgw mgw) {
        return new ApiKeys(mgw.database(), new KeySecrets(), mgw.clock());
    }

    static Suppressions suppressions(Mgw mgw) {
        return new Suppressions(mgw.database());
    }

    /** Every entry of the scope that matches, newest first, a page at a time. */
    static void each(Mgw mgw, Scope scope, Optional<String> reason, Optional<String> address,
                     Consumer<Suppression> action) {
        Optional<Long> before = Optional.empty();
        while (true) {
            List<Suppression> page = suppressions(mgw).list(scope, address, reason, before, PAGE, Optional.empty());
            page.forEach(action);
            if (page.size() < PAGE) {
                return;
            }
            before = Optional.of(page.getLast().id());
        }
    }

    /** The addresses as given, each checked as the API checks a recipient. */
    static List<String> addresses(List<String> given) {
        List<String> addresses = new ArrayList<>();
        for (String text : given) {
            try {
                addresses.add(EmailAddress.parse(text.strip()).address());
            } catch (IllegalArgumentException e) {
                throw new MgwException("'" + text + "' is not an address: " + e.getMessage());
            }
        }
        return addresses;
    }

    static void checkReason(String reason) {
        if (!Suppressions.REASONS.contains(reason)) {
            throw new MgwException("reason must be one of " + String.join(", ", Suppressions.REASONS));
        }
    }
}
