package dev.mgw.core.keys;

import dev.mgw.core.MgwException;

/** No key matches the given id, name or prefix. */
public class KeyNotFoundException extends MgwException {
    public KeyNotFoundException(String reference) {
        super("no key matches '" + reference + "' (give an id, a name or a key prefix; `mgw keys list --all` shows them)");
    }
}
