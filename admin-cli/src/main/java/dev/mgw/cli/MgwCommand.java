package dev.mgw.cli;

import java.io.PrintWriter;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** What every leaf command shares: the tool it runs in and the writers it prints to. */
public abstract class MgwCommand {
    @Spec
    protected CommandSpec spec;

    protected Mgw mgw() {
        return (Mgw) spec.root().userObject();
    }

    protected PrintWriter out() {
        return spec.commandLine().getOut();
    }

    protected boolean json() {
        return mgw().json();
    }
}
