package dev.mgw.core;

import jakarta.json.spi.JsonProvider;

/**
 * The JSON-P provider, looked up once. {@code jakarta.json.Json}'s static methods look the
 * provider up on every call (a ServiceLoader scan of the classpath), which on the send path
 * cost about half of the gateway's CPU.
 */
public final class JsonP {
    public static final JsonProvider JSON = JsonProvider.provider();

    private JsonP() {
    }
}
