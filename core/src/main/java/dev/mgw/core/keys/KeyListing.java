package dev.mgw.core.keys;

/** A key with what it used today (UTC), for {@code mgw keys list}. */
public record KeyListing(ApiKey key, int usedToday) {
}
