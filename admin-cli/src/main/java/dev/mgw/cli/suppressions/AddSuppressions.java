package dev.mgw.cli.suppressions;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import dev.mgw.cli.DurationConverter;
import dev.mgw.cli.MgwCommand;
import dev.mgw.core.suppressions.Scope;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code mgw suppressions add ADDR… (--key KEY | --global) [--reason manual] [--expires 30d] [--detail TEXT]}. */
@Command(name = "add", mixinStandardHelpOptions = true,
         description = "Suppress addresses for one key or for every key (an existing entry is updated).")
public final class AddSuppressions extends MgwCommand implements Callable<Integer> {
    @Parameters(paramLabel = "ADDR", arity = "1..*", description = "The addresses.")
    private List<String> addresses;

    @ArgGroup(exclusive = false)
    private SuppressionsCommand.Target target = new SuppressionsCommand.Target();

    @Option(names = "--reason", paramLabel = "R", defaultValue = "manual",
            description = "hard_bounce, complaint or manual (default).")
    private String reason;

    @Option(names = "--expires", paramLabel = "SPAN", converter = DurationConverter.class,
            description = "Stop applying after this time span, e.g. 30d (default: never).")
    private Duration expires;

    @Option(names = "--detail", paramLabel = "TEXT", description = "A note kept with the entries.")
    private String detail;

    @Override
    public Integer call() {
        Scope scope = target.scope(mgw(), spec.commandLine(), Optional.empty());
        SuppressionsCommand.checkReason(reason);
        List<String> checked = SuppressionsCommand.addresses(addresses);
        int added = SuppressionsCommand.suppressions(mgw()).add(
                scope, checked, reason, Optional.ofNullable(detail),
                Optional.ofNullable(expires).map(span -> mgw().clock().instant().plus(span)), Optional.empty()).size();
        out().println("suppressed " + added + (added == 1 ? " address" : " addresses") + " for "
                      + scope.keyId().map(id -> "key " + id).orElse("every key"));
        out().flush();
        return 0;
    }
}
