package dev.mgw.server.observe;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MaskingTest {
    @Test
    void generatedKeysKeepOnlyTheirPrefix() {
        assertEquals("key mgw_AbCdEfGh… used",
                     Masking.mask("key mgw_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789ABCD used"));
    }

    @Test
    void keysInHeadersAndUrlsAreCut() {
        assertEquals("X-API-Key: sk_test_defa…", Masking.mask("X-API-Key: sk_test_default_key_123"));
        assertEquals("GET /api/v1/usage?api_key=sk_test_defa…&x=1", Masking.mask("GET /api/v1/usage?api_key=sk_test_default_key_123&x=1"));
        assertEquals("/send?key=short…", Masking.mask("/send?key=short"));
    }

    @Test
    void webhookSecretsKeepOnlyTheirScheme() {
        assertEquals("secret whsec_… rotated",
                     Masking.mask("secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw3lMdpLaQ+8s= rotated"));
    }

    @Test
    void registeredSecretsDisappear() {
        Masking.register("relay-s3cret-value");
        assertEquals("login relay with ****", Masking.mask("login relay with relay-s3cret-value"));
    }

    @Test
    void ordinaryTextIsUntouched() {
        assertEquals("message sent: 250 2.0.0 Ok: queued as 4Xk", Masking.mask("message sent: 250 2.0.0 Ok: queued as 4Xk"));
        assertEquals("key=value", Masking.mask("key=value"));
    }
}
