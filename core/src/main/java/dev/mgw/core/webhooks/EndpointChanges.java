package dev.mgw.core.webhooks;

import java.util.List;
import java.util.Optional;

/** What a PATCH changes; an empty field stays as it is (an empty description clears it). */
public record EndpointChanges(Optional<String> url,
                              Optional<List<String>> events,
                              Optional<Boolean> enabled,
                              Optional<String> description) {
}
