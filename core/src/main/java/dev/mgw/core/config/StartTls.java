package dev.mgw.core.config;

import java.util.Locale;

/** {@code SMTP_STARTTLS}: whether the relay connection must, may or must not be upgraded to TLS. */
public enum StartTls {
    REQUIRED, OPPORTUNISTIC, OFF;

    static StartTls parse(String value) {
        try {
            return valueOf(value.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ConfigException.of(Setting.SMTP_STARTTLS,
                                     "\"" + value + "\" is not one of required, opportunistic, off");
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
