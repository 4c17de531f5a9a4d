package dev.mgw.cli.suppressions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.concurrent.Callable;

import dev.mgw.cli.MgwCommand;
import dev.mgw.core.suppressions.Scope;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mgw suppressions export [--key KEY | --global] [--csv]}: CSV on standard output, what {@code import} reads. */
@Command(name = "export", mixinStandardHelpOptions = true,
         description = "Write suppressed addresses as CSV (address,key,reason,detail,created_at,expires_at,message_id); "
                       + "all lists unless one is named.")
public final class ExportSuppressions extends MgwCommand implements Callable<Integer> {
    /** The columns, in order; {@code key} is the key's id, empty for a global entry. */
    static final String[] COLUMNS = {"address", "key", "reason", "detail", "created_at", "expires_at", "message_id"};

    @ArgGroup(exclusive = false)
    private SuppressionsCommand.Target target = new SuppressionsCommand.Target();

    @Option(names = "--csv", description = "CSV (the only format; accepted for scripts that say so).")
    private boolean csv;

    @Override
    public Integer call() {
        Scope scope = target.scope(mgw(), spec.commandLine(), Optional.of(Scope.all()));
        try (CSVPrinter printer = new CSVPrinter(out(), CSVFormat.RFC4180.builder().setHeader(COLUMNS).get())) {
            SuppressionsCommand.each(mgw(), scope, Optional.empty(), Optional.empty(), entry -> {
                try {
                    printer.printRecord(entry.address(), entry.keyId().map(Object::toString).orElse(""), entry.reason(),
                                        entry.detail().orElse(""), entry.createdAt().toString(),
                                        entry.expiresAt().map(Object::toString).orElse(""),
                                        entry.messageId().map(Object::toString).orElse(""));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            printer.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return 0;
    }
}
