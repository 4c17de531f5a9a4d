package dev.mgw.server.delivery;

/**
 * Names Angus Mail's stream provider to Jakarta Mail once, before any message is parsed or
 * rendered. Jakarta Mail 2.1 looks its {@code StreamProvider} up again on every header block,
 * multipart and encoder it makes, and without this property each lookup is a ServiceLoader scan
 * of the jars on the class path (jakartaee/mail-api#699, #861): measured here, an eighth of the
 * gateway's CPU while it delivered and a fifth of an SMTP submission's. With the property set the
 * lookup is a class lookup the JVM answers from its table of loaded classes.
 */
public final class MailStreams {
    static final String PROPERTY = "jakarta.mail.util.StreamProvider";
    static final String ANGUS = "org.eclipse.angus.mail.util.MailStreamProvider";

    private MailStreams() {
    }

    /** Sets the provider unless the operator named one ({@code -Djakarta.mail.util.StreamProvider=…}). */
    public static void useAngus() {
        if (System.getProperty(PROPERTY) == null) {
            System.setProperty(PROPERTY, ANGUS);
        }
    }
}
