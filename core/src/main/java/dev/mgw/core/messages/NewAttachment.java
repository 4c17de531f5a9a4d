package dev.mgw.core.messages;

import java.util.Optional;

/**
 * A validated attachment of a {@link NewMessage}.
 *
 * @param contentType a valid MIME type, the client's or the default for the file name
 * @param contentId   set for an inline attachment, referenced as {@code cid:} from the HTML body
 */
public record NewAttachment(String filename, String contentType, Optional<String> contentId, AttachmentBytes content) {
    public boolean inline() {
        return contentId.isPresent();
    }

    @Override
    public String toString() {
        return "NewAttachment[" + content.size() + " bytes]";
    }
}
