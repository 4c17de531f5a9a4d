package dev.mgw.core.keys;

import java.util.List;
import java.util.Optional;

/**
 * What {@code mgw keys create} asks for.
 *
 * @param secret an existing secret to import instead of generating one
 */
public record NewKey(String name, int dailyLimit, Optional<List<String>> allowedRecipients, Optional<String> secret) {
    @Override
    public String toString() {
        return "NewKey[" + name + ", limit " + dailyLimit + "]";
    }
}
