package dev.mgw.core;

/**
 * An expected failure whose message is meant for the person at the other end as it stands:
 * one line, no stack trace, no secret (e.g. "no key matches 'prod'").
 */
public class MgwException extends RuntimeException {
    public MgwException(String message) {
        super(message);
    }
}
