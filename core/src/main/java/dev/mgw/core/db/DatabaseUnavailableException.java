package dev.mgw.core.db;

import dev.mgw.core.config.JdbcTarget;

/**
 * The database could not be reached (refused, silent, timed out, connection lost) or ended a
 * statement that took it too long. Callers answer 503 or print one line; the message names the
 * target without credentials.
 */
public class DatabaseUnavailableException extends RuntimeException {
    public DatabaseUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    static DatabaseUnavailableException of(JdbcTarget target, Throwable cause) {
        return new DatabaseUnavailableException(message(target, Database.rootMessage(cause)), cause);
    }

    static DatabaseUnavailableException of(JdbcTarget target, String reason) {
        return new DatabaseUnavailableException(message(target, reason), null);
    }

    private static String message(JdbcTarget target, String reason) {
        return "database " + target.display() + " is unavailable: " + reason;
    }
}
