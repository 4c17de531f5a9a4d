package dev.mgw.cli.keys;

import java.util.concurrent.Callable;

import dev.mgw.cli.MgwCommand;
import dev.mgw.core.keys.ApiKeys;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code mgw keys rotate KEY}. */
@Command(name = "rotate", mixinStandardHelpOptions = true,
         description = "Give a key a new secret (same id, name, limit and usage); the old secret stops working at once.")
public final class RotateKey extends MgwCommand implements Callable<Integer> {
    @Parameters(paramLabel = "KEY", description = "Id, name or prefix of the key.")
    private String reference;

    @Override
    public Integer call() {
        ApiKeys keys = KeysCommand.apiKeys(mgw());
        CreateKey.print(out(), keys.rotate(keys.resolve(reference)), json(), "Rotated");
        return 0;
    }
}
