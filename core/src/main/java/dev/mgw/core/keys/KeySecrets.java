package dev.mgw.core.keys;

import java.security.SecureRandom;

import dev.mgw.core.MgwException;

import org.springframework.security.crypto.bcrypt.BCrypt;

/**
 * Generates, hashes and checks key secrets: {@code mgw_} + 40 base62 characters from
 * {@link SecureRandom}, stored as bcrypt, looked up by their first {@value #PREFIX_LENGTH} characters.
 */
public final class KeySecrets {
    public static final int PREFIX_LENGTH = 12;
    public static final int DEFAULT_COST = 10;
    private static final String GENERATED_PREFIX = "mgw_";
    private static final int RANDOM_LENGTH = 40;
    private static final String BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private static final int MIN_IMPORT = 16;
    /** bcrypt reads at most 72 bytes; longer secrets would be silently truncated. */
    private static final int MAX_IMPORT = 72;

    private final SecureRandom random = new SecureRandom();
    private final int cost;
    /**
     * A hash of a secret nobody holds, at this cost, made when an unknown prefix first needs it:
     * made at construction it cost every start of the gateway and every {@code mgw} command a
     * bcrypt hash on a cold JVM. Two threads may both make one; either will do.
     */
    private volatile String dummyHash;

    public KeySecrets() {
        this(DEFAULT_COST);
    }

    /** @param cost bcrypt cost (log2 rounds) for new hashes; existing hashes carry their own */
    public KeySecrets(int cost) {
        this.cost = cost;
    }

    /** A new random secret. */
    public String generate() {
        StringBuilder secret = new StringBuilder(GENERATED_PREFIX.length() + RANDOM_LENGTH).append(GENERATED_PREFIX);
        while (secret.length() < GENERATED_PREFIX.length() + RANDOM_LENGTH) {
            int b = random.nextInt(256);
            // 248 = 4 * 62: values above it would favour the first characters
            if (b < 248) {
                secret.append(BASE62.charAt(b % 62));
            }
        }
        return secret.toString();
    }

    /** Checks a secret given with {@code mgw keys create --key}; throws with a readable reason. */
    public static void checkImportable(String secret) {
        if (secret.length() < MIN_IMPORT || secret.length() > MAX_IMPORT) {
            throw new MgwException("--key must be " + MIN_IMPORT + " to " + MAX_IMPORT + " characters long");
        }
        for (int i = 0; i < secret.length(); i++) {
            char c = secret.charAt(i);
            if (c <= ' ' || c >= 127) {
                throw new MgwException("--key may only contain printable ASCII characters without spaces");
            }
        }
    }

    public static String prefix(String secret) {
        return secret.length() < PREFIX_LENGTH ? secret : secret.substring(0, PREFIX_LENGTH);
    }

    public String hash(String secret) {
        return BCrypt.hashpw(secret, BCrypt.gensalt(cost, random));
    }

    public boolean verify(String secret, String hash) {
        try {
            return BCrypt.checkpw(secret, hash);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Spends the time of one check against a hash of nothing: unknown prefixes cost what known ones do. */
    public void verifyDummy(String secret) {
        String hash = dummyHash;
        if (hash == null) {
            hash = hash(generate());
            dummyHash = hash;
        }
        verify(secret, hash);
    }
}
