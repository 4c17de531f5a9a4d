package dev.mgw.cli.db;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

import dev.mgw.cli.MgwCommand;
import dev.mgw.cli.Output;
import dev.mgw.cli.Table;
import dev.mgw.core.db.Migrations;

import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObjectBuilder;
import picocli.CommandLine.Command;

import static dev.mgw.core.JsonP.JSON;

/** {@code mgw db status}. */
@Command(name = "status", mixinStandardHelpOptions = true,
         description = "List the changesets and whether each is applied.")
public final class DbStatus extends MgwCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        print(out(), mgw().migrations().status(), json(), null);
        return 0;
    }

    static void print(PrintWriter out, List<Migrations.ChangeSetState> states, boolean json, String summary) {
        long pending = states.stream().filter(Migrations.ChangeSetState::pending).count();
        if (json) {
            JsonArrayBuilder array = JSON.createArrayBuilder();
            for (Migrations.ChangeSetState state : states) {
                JsonObjectBuilder item = JSON.createObjectBuilder()
                        .add("id", state.id())
                        .add("author", state.author())
                        .add("file", state.file());
                state.appliedAt().ifPresentOrElse(at -> item.add("applied_at", at.toString()),
                                                  () -> item.addNull("applied_at"));
                array.add(item);
            }
            Output.json(out, JSON.createObjectBuilder()
                    .add("current", pending == 0)
                    .add("pending", pending)
                    .add("changesets", array)
                    .build());
            return;
        }
        Table table = Table.of("CHANGESET", "APPLIED");
        states.forEach(s -> table.row(s.id(), Output.time(s.appliedAt(), "pending")));
        table.print(out);
        if (summary != null) {
            out.println(summary + ".");
        }
        out.println(pending == 0 ? "The schema is current." : pending + " changeset(s) pending: run `mgw db migrate`.");
        out.flush();
    }
}
