package dev.mgw.core.events;

import java.util.List;

import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObjectBuilder;

import static dev.mgw.core.JsonP.JSON;

/** One JSON shape for a timeline, in the API and in {@code mgw --json}: SPEC §5.3. */
public final class TimelineJson {
    private TimelineJson() {
    }

    /** {@code [{"type", "at", "recipient"?, "smtp_code"?, "smtp_reply"?, "detail"?}, …]}, in the given order. */
    public static JsonArray events(List<TimelineEvent> events) {
        JsonArrayBuilder array = JSON.createArrayBuilder();
        for (TimelineEvent event : events) {
            JsonObjectBuilder json = JSON.createObjectBuilder()
                    .add("type", event.type().wireName())
                    .add("at", event.at().toString());
            event.recipient().ifPresent(recipient -> json.add("recipient", recipient));
            event.smtpCode().ifPresent(code -> json.add("smtp_code", code));
            event.smtpReply().ifPresent(reply -> json.add("smtp_reply", reply));
            event.detail().ifPresent(detail -> json.add("detail", detail));
            array.add(json);
        }
        return array.build();
    }
}
