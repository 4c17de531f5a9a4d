package dev.mgw.core.db;

/**
 * Database work waited too long for a connection: the process is taking more than the database
 * can answer. Callers answer 503 at once, which sheds the excess load instead of queueing it.
 */
public class DatabaseBusyException extends RuntimeException {
    public DatabaseBusyException(String message) {
        super(message);
    }
}
