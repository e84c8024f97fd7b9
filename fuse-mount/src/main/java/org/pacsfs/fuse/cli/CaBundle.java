package org.pacsfs.fuse.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;

/**
 * {@code --ca-bundle FILE}: trust the PEM certificates in FILE (an on-premises S3 server signed by the hospital's own
 * CA) in addition to the JDK's default authorities. Java 17 cannot use a PEM file as a trust store, so the
 * certificates are put into a PKCS12 store in a private temporary file, which becomes the JVM's default trust store
 * before any HTTP client is created (every SDK HTTP client honours it).
 */
final class CaBundle {

    private CaBundle() {
    }

    static void install(Path pem) throws CliException {
        if (!Files.isReadable(pem)) {
            throw new CliException("--ca-bundle " + pem + " cannot be read; give a file of PEM certificates");
        }
        try {
            Collection<? extends Certificate> certs;
            try (InputStream in = Files.newInputStream(pem)) {
                certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            }
            if (certs.isEmpty()) {
                throw new CliException("--ca-bundle " + pem + " holds no certificate; give a file of PEM certificates");
            }
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            Path cacerts = Path.of(System.getProperty("java.home"), "lib", "security", "cacerts");
            if (Files.isReadable(cacerts)) {
                KeyStore defaults = KeyStore.getInstance(KeyStore.getDefaultType());
                try (InputStream in = Files.newInputStream(cacerts)) {
                    defaults.load(in, null);
                }
                for (String alias : java.util.Collections.list(defaults.aliases())) {
                    store.setCertificateEntry("jdk-" + alias, defaults.getCertificate(alias));
                }
            }
            int i = 0;
            for (Certificate c : certs) {
                store.setCertificateEntry("ca-bundle-" + i++, c);
            }
            Path file = Files.createTempFile("pacsfs-truststore", ".p12",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            file.toFile().deleteOnExit();
            char[] password = "pacsfs".toCharArray(); // protects nothing secret: these are public certificates
            try (OutputStream out = Files.newOutputStream(file)) {
                store.store(out, password);
            }
            System.setProperty("javax.net.ssl.trustStore", file.toString());
            System.setProperty("javax.net.ssl.trustStoreType", "PKCS12");
            System.setProperty("javax.net.ssl.trustStorePassword", new String(password));
        } catch (IOException | GeneralSecurityException e) {
            throw new CliException("--ca-bundle " + pem + " is not a readable PEM certificate file: " + e.getMessage(), e);
        }
    }
}
