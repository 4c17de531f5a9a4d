package dev.mgw.cli.db;

import java.util.List;
import java.util.concurrent.Callable;

import dev.mgw.cli.MgwCommand;
import dev.mgw.core.db.Migrations;

import picocli.CommandLine.Command;

/** {@code mgw db migrate}. */
@Command(name = "migrate", mixinStandardHelpOptions = true,
         description = "Apply every pending changeset (safe to repeat).")
public final class MigrateDb extends MgwCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        Migrations migrations = mgw().migrations();
        long pending = migrations.status().stream().filter(Migrations.ChangeSetState::pending).count();
        migrations.migrate();
        List<Migrations.ChangeSetState> after = migrations.status();
        DbStatus.print(out(), after, json(), pending + " changeset(s) applied");
        return 0;
    }
}
