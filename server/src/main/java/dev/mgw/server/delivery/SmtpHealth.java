package dev.mgw.server.delivery;

/**
 * The relay's state as the last connection attempt found it: {@code DOWN} while the latest
 * connection or login failed, {@code SANDBOX} without a relay, else {@code UP}. No probe is
 * made for it; deliveries update it.
 */
public final class SmtpHealth {
    private final boolean sandbox;
    private volatile boolean down;

    SmtpHealth(boolean sandbox) {
        this.sandbox = sandbox;
    }

    void connected() {
        down = false;
    }

    void connectionFailed() {
        down = true;
    }

    public String state() {
        return sandbox ? "SANDBOX" : down ? "DOWN" : "UP";
    }
}
