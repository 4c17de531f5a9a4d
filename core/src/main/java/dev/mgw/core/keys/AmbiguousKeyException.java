package dev.mgw.core.keys;

import java.util.List;
import java.util.stream.Collectors;

import dev.mgw.core.MgwException;

/** Several keys match a reference; the message lists them so the operator can pick one by id. */
public class AmbiguousKeyException extends MgwException {
    private final List<ApiKey> matches;

    public AmbiguousKeyException(String reference, List<ApiKey> matches) {
        super("'" + reference + "' matches " + matches.size() + " keys: "
              + matches.stream()
                      .map(k -> k.id() + " (" + k.name() + ", " + k.prefix() + ", " + k.status() + ")")
                      .collect(Collectors.joining("; "))
              + "; use the id");
        this.matches = List.copyOf(matches);
    }

    public List<ApiKey> matches() {
        return matches;
    }
}
