package dev.mgw.server.submission;

import java.io.IOException;
import java.io.Reader;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import dev.mgw.core.config.GatewayConfig;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The TLS of STARTTLS on the submission listener: the PEM certificate chain and private key of
 * {@code SMTP_SUBMISSION_TLS_CERT}/{@code _KEY}, or, when they are unset, a self-signed
 * certificate made at start (clients must be told to accept it; a WARN says so). Bouncy Castle
 * reads PEM and builds the certificate; the JDK's own providers do the cryptography.
 */
final class SubmissionTls {
    private static final System.Logger LOG = System.getLogger(SubmissionTls.class.getName());
    private static final char[] NO_PASSWORD = new char[0];
    private static final Duration SELF_SIGNED_VALIDITY = Duration.ofDays(365);

    private final SSLContext context;

    private SubmissionTls(SSLContext context) {
        this.context = context;
    }

    static SubmissionTls of(GatewayConfig.Submission settings, String hostName) {
        try {
            if (settings.tlsCertificate().isPresent()) {
                return new SubmissionTls(context(readKey(settings.tlsKey().orElseThrow()),
                                                 readChain(settings.tlsCertificate().get())));
            }
            LOG.log(System.Logger.Level.WARNING, "SMTP submission: SMTP_SUBMISSION_TLS_CERT is not set; STARTTLS uses a "
                                                 + "self-signed certificate for " + hostName
                                                 + " made at start, which clients must be told to accept");
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(256);
            KeyPair pair = generator.generateKeyPair();
            return new SubmissionTls(context(pair.getPrivate(), List.of(selfSigned(pair, hostName))));
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("SMTP submission: cannot set up TLS: " + e.getMessage(), e);
        }
    }

    /** The server side of STARTTLS over an accepted connection. */
    SSLSocket wrap(Socket socket) throws IOException {
        InetSocketAddress remote = (InetSocketAddress) socket.getRemoteSocketAddress();
        SSLSocket tls = (SSLSocket) context.getSocketFactory()
                .createSocket(socket, remote.getHostString(), socket.getPort(), true);
        tls.setUseClientMode(false);
        return tls;
    }

    private static SSLContext context(PrivateKey key, List<X509Certificate> chain) throws GeneralSecurityException,
            IOException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("submission", key, NO_PASSWORD, chain.toArray(Certificate[]::new));
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, NO_PASSWORD);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), null, new SecureRandom());
        return context;
    }

    private static List<X509Certificate> readChain(Path file) throws IOException, GeneralSecurityException {
        List<X509Certificate> chain = new ArrayList<>();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        try (Reader reader = Files.newBufferedReader(file); PEMParser pem = new PEMParser(reader)) {
            for (Object item = pem.readObject(); item != null; item = pem.readObject()) {
                if (item instanceof X509CertificateHolder holder) {
                    chain.add(converter.getCertificate(holder));
                }
            }
        }
        if (chain.isEmpty()) {
            throw new IOException("SMTP_SUBMISSION_TLS_CERT (" + file + ") holds no PEM certificate");
        }
        return chain;
    }

    private static PrivateKey readKey(Path file) throws IOException {
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        try (Reader reader = Files.newBufferedReader(file); PEMParser pem = new PEMParser(reader)) {
            for (Object item = pem.readObject(); item != null; item = pem.readObject()) {
                if (item instanceof PEMKeyPair pair) {
                    return converter.getPrivateKey(pair.getPrivateKeyInfo());
                }
                if (item instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
            }
        }
        throw new IOException("SMTP_SUBMISSION_TLS_KEY (" + file + ") holds no unencrypted PEM private key");
    }

    private static X509Certificate selfSigned(KeyPair pair, String hostName) throws IOException,
            GeneralSecurityException, OperatorCreationException {
        X500Name name = new X500Name("CN=" + hostName);
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                name, new BigInteger(64, new SecureRandom()), Date.from(now.minus(Duration.ofMinutes(5))),
                Date.from(now.plus(SELF_SIGNED_VALIDITY)), name, pair.getPublic());
        builder.addExtension(Extension.subjectAlternativeName, false,
                             new GeneralNames(new GeneralName(GeneralName.dNSName, hostName)));
        X509CertificateHolder holder = builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate()));
        return new JcaX509CertificateConverter().getCertificate(holder);
    }
}
