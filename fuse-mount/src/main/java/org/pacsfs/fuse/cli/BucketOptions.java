package org.pacsfs.fuse.cli;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.ObjectStoreException;
import org.pacsfs.core.store.embedded.S3ProxyProcess;
import org.pacsfs.core.store.s3.ChecksumPolicy;
import org.pacsfs.core.store.s3.S3Config;
import org.pacsfs.core.store.s3.S3Credentials;
import org.pacsfs.core.store.s3.S3ObjectStore;
import org.pacsfs.core.store.s3.ServerSideEncryption;
import picocli.CommandLine.Option;

/** How to reach the bucket: shared by every command that reads or writes a filesystem in S3. */
final class BucketOptions {

    /** The bucket the embedded server holds. */
    static final String EMBEDDED_BUCKET = "pacsfs";

    @Option(names = "--endpoint", paramLabel = "URL",
            description = "S3 endpoint of an S3-compatible server (MinIO, Ceph RGW, ...), e.g. https://s3.example.org. Default: AWS S3.")
    URI endpoint;

    @Option(names = "--region", paramLabel = "REGION", description = "Signing region. Default: $AWS_REGION, else us-east-1.")
    String region;

    @Option(names = "--path-style", description = "Path-style addressing (http://host/bucket/key), which most on-premises servers need. "
            + "Default: on with --endpoint, off for AWS.")
    Boolean pathStyle;

    @Option(names = "--profile", paramLabel = "NAME", description = "Credentials profile of ~/.aws/credentials. Default: the standard "
            + "chain (environment AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profile, instance role).")
    String profile;

    @Option(names = "--ca-bundle", paramLabel = "FILE", description = "PEM file of CA certificates to trust for TLS (a private CA).")
    Path caBundle;

    @Option(names = "--checksums", paramLabel = "POLICY", description = "SDK request checksums: ${COMPLETION-CANDIDATES}. "
            + "when_required for servers that reject checksum trailers. Default: when_supported. pacsfs checks its own CRC32C either way.")
    ChecksumPolicy checksums = ChecksumPolicy.WHEN_SUPPORTED;

    @Option(names = "--sse", paramLabel = "MODE", description = "Server-side encryption of every object: none (default: the "
            + "bucket's own setting), s3 (SSE-S3, AES256) or kms (SSE-KMS, with --sse-kms-key-id or the account's default key).")
    String sse = "none";

    @Option(names = "--sse-kms-key-id", paramLabel = "KEY", description = "KMS key id or ARN for --sse kms.")
    String sseKmsKeyId;

    @Option(names = "--embedded-s3", paramLabel = "DIR", description = "Start an S3 server (S3Proxy) on loopback with its data under DIR "
            + "and use its bucket '" + EMBEDDED_BUCKET + "' (no cloud account needed). Stopped with the command.")
    Path embeddedS3;

    /** Nice value of the embedded S3 server (set by {@code mount} from --background-nice; 0 for ls/cat). */
    int embeddedNice;

    /** A connection to the bucket; closing it closes the client and stops an embedded server. */
    record Connection(ObjectStore store, S3Location location, S3ProxyProcess embedded) implements AutoCloseable {
        @Override
        public void close() {
            store.close();
            if (embedded != null) {
                embedded.stop();
            }
        }
    }

    /**
     * Connects to {@code location}, or to the embedded server when {@code --embedded-s3} is given (then location
     * must be null). Checks that the bucket answers, so that a wrong endpoint, wrong credentials or a missing bucket
     * fail here with one clear line rather than deep inside the mount.
     */
    Connection connect(S3Location location) throws CliException {
        if (caBundle != null) {
            CaBundle.install(caBundle);
        }
        if (profile != null) {
            System.setProperty("aws.profile", profile);
        }
        if (embeddedS3 != null) {
            if (location != null) {
                throw new CliException("give either an s3:// location or --embedded-s3, not both");
            }
            return embedded();
        }
        if (location == null) {
            throw new CliException("no bucket given: pass s3://BUCKET[/PREFIX], or --embedded-s3 DIR to try pacsfs on a local S3 server");
        }
        S3Config.Builder b = S3Config.builder()
                .region(region != null ? region : System.getenv().getOrDefault("AWS_REGION", "us-east-1"))
                .bucket(location.bucket())
                .prefix(location.prefix())
                .checksums(checksums)
                .sse(serverSideEncryption())
                .credentials(S3Credentials.defaultChain());
        if (endpoint != null) {
            b.endpoint(endpoint);
        }
        b.pathStyle(pathStyle != null ? pathStyle : endpoint != null);
        S3Config config;
        try {
            config = b.build();
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        ObjectStore store = S3ObjectStore.open(config);
        probe(store, location.toString());
        return new Connection(store, location, null);
    }

    private ServerSideEncryption serverSideEncryption() throws CliException {
        if (sseKmsKeyId != null && !"kms".equals(sse)) {
            throw new CliException("--sse-kms-key-id needs --sse kms");
        }
        try {
            return switch (sse) {
                case "none" -> ServerSideEncryption.NONE;
                case "s3" -> ServerSideEncryption.S3;
                case "kms" -> ServerSideEncryption.kms(sseKmsKeyId);
                default -> throw new CliException("--sse must be none, s3 or kms, got '" + sse + "'");
            };
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
    }

    private Connection embedded() throws CliException {
        Path jar = s3ProxyJar();
        S3ProxyProcess server;
        try {
            Path data = embeddedS3.toAbsolutePath();
            Files.createDirectories(data);
            server = S3ProxyProcess.builder(jar).dataDirectory(data).startupTimeout(Duration.ofSeconds(60)).detached()
                    .nice(embeddedNice).start();
            if (!Files.isDirectory(data.resolve(EMBEDDED_BUCKET))) {
                server.createBucket(EMBEDDED_BUCKET);
            }
        } catch (java.io.IOException | RuntimeException e) {
            throw new CliException("cannot start the embedded S3 server: " + e.getMessage(), e);
        }
        S3Location location = new S3Location(EMBEDDED_BUCKET, "");
        ObjectStore store = S3ObjectStore.open(server.configFor(EMBEDDED_BUCKET).build());
        return new Connection(store, location, server);
    }

    /** S3Proxy's jar: -Dpacsfs.s3proxy.jar, else lib/s3proxy.jar of the installation (packaging puts it there). */
    private static Path s3ProxyJar() throws CliException {
        String configured = System.getProperty("pacsfs.s3proxy.jar");
        if (configured != null && Files.isRegularFile(Path.of(configured))) {
            return Path.of(configured);
        }
        String home = System.getProperty("pacsfs.home");
        if (home != null && Files.isRegularFile(Path.of(home, "lib", "s3proxy", "s3proxy.jar"))) {
            return Path.of(home, "lib", "s3proxy", "s3proxy.jar");
        }
        throw new CliException("--embedded-s3 needs S3Proxy's jar, which was not found (looked at -Dpacsfs.s3proxy.jar="
                + configured + " and $PACSFS_HOME/lib/s3proxy/s3proxy.jar); build with 'mvn -pl fuse-mount -am package -DskipTests'");
    }

    /** Mount-time checks ride out a brief hiccup (retried for up to 15 s), but a wrong endpoint fails soon. */
    static ObjectStore patient(ObjectStore store) {
        return new org.pacsfs.core.store.RetryingObjectStore(store, Duration.ofSeconds(15), Duration.ofSeconds(2));
    }

    private static void probe(ObjectStore store, String where) throws CliException {
        try {
            patient(store).list("", null, 1);
        } catch (ObjectStoreException e) {
            store.close();
            throw new CliException("cannot use " + where + ": " + e.getMessage());
        } catch (RuntimeException e) {
            store.close();
            throw new CliException("cannot reach " + where + ": " + e);
        }
    }
}
