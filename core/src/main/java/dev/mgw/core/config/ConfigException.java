package dev.mgw.core.config;

/**
 * Bad configuration. The message is one line that names the variable and the problem,
 * e.g. {@code SERVER_PORT: 70000 is out of range (1-65535)}; the caller prints it and exits 1.
 */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }

    public static ConfigException of(Setting setting, String problem) {
        return new ConfigException(setting.env() + ": " + problem);
    }
}
