package dev.mgw.core.db;

import dev.mgw.core.config.JdbcTarget;

/**
 * The database could not be reached (refused, timed out, connection lost). Callers answer 503
 * or print one line; the message names the target without credentials.
 */
public class DatabaseUnavailableException extends RuntimeException {
    public DatabaseUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    static DatabaseUnavailableException of(JdbcTarget target, Throwable cause) {
        return new DatabaseUnavailableException("database " + target.display() + " is unavailable: "
                                                + Database.rootMessage(cause), cause);
    }
}
