package dev.mgw.core.webhooks;

/** An endpoint and its new secret: shown once, when it is created or its secret rotated. */
public record CreatedEndpoint(Endpoint endpoint, String secret) {
    @Override
    public String toString() {
        return "CreatedEndpoint[" + endpoint.id() + "]";
    }
}
