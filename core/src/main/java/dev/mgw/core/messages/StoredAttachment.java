package dev.mgw.core.messages;

import java.util.Optional;

/**
 * A stored attachment as delivery and the message view see it: everything but its bytes.
 *
 * @param position  its place among the message's attachments, from 0
 * @param contentId set for an inline attachment
 */
public record StoredAttachment(int position, String filename, String contentType, Optional<String> contentId,
                               long size) {
    public boolean inline() {
        return contentId.isPresent();
    }
}
