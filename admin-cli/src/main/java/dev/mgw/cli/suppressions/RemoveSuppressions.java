package dev.mgw.cli.suppressions;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import dev.mgw.cli.MgwCommand;
import dev.mgw.core.MgwException;
import dev.mgw.core.suppressions.Scope;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code mgw suppressions remove ADDR… (--key KEY | --global)}. */
@Command(name = "remove", mixinStandardHelpOptions = true,
         description = "Remove addresses from one key's list or from the global one.")
public final class RemoveSuppressions extends MgwCommand implements Callable<Integer> {
    @Parameters(paramLabel = "ADDR", arity = "1..*", description = "The addresses.")
    private List<String> addresses;

    @ArgGroup(exclusive = false)
    private SuppressionsCommand.Target target = new SuppressionsCommand.Target();

    @Override
    public Integer call() {
        Scope scope = target.scope(mgw(), spec.commandLine(), Optional.empty());
        List<String> removed = SuppressionsCommand.suppressions(mgw()).remove(scope, addresses, Optional.empty());
        if (removed.isEmpty()) {
            throw new MgwException("none of these addresses is on " + scope.keyId().map(id -> "key " + id + "'s list")
                    .orElse("the global list"));
        }
        out().println("removed " + removed.size() + (removed.size() == 1 ? " address" : " addresses")
                      + (removed.size() < addresses.size() ? " (" + (addresses.size() - removed.size())
                                                             + " were not on the list)" : ""));
        out().flush();
        return 0;
    }
}
