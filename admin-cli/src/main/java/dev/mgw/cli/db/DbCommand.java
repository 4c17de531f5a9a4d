package dev.mgw.cli.db;

import picocli.CommandLine.Command;

/** {@code mgw db}: the schema. */
@Command(name = "db", mixinStandardHelpOptions = true,
         description = "Apply or inspect the database schema (Liquibase changelog).",
         subcommands = {MigrateDb.class, DbStatus.class})
public final class DbCommand {
}
