package org.pacsfs.core.store.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.pacsfs.core.store.ObjectStoreException;
import org.pacsfs.core.store.s3.S3ClientFactory;
import org.pacsfs.core.store.s3.S3Config;
import org.pacsfs.core.store.s3.S3Credentials;
import org.pacsfs.core.store.s3.S3ErrorMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 server, <a href="https://github.com/gaul/s3proxy">S3Proxy</a>, running as a child
 * process: {@code java -jar s3proxy.jar --properties FILE} with the {@code filesystem-nio2} backend,
 * on a free loopback port, with signed requests required (AWS signature v2 or v4) and a random
 * access key and secret.
 *
 * <p>{@link Builder#start()} returns once the server answers HTTP; it fails with the tail of the
 * server's log if the server exits or does not answer within the startup timeout, and retries on a
 * new port if another process took the chosen one. {@link #stop()} ends the process (gracefully,
 * then forcibly) and deletes its temporary directory (with the buckets, unless {@link
 * Builder#dataDirectory(Path)} put them elsewhere); a JVM shutdown hook does
 * the same if nobody called {@code stop()}. A {@code kill -9} of this JVM cannot run the hook: the
 * server then lives on until killed.
 *
 * <p>Thread-safe.
 */
public final class S3ProxyProcess implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(S3ProxyProcess.class);
    private static final String REGION = "us-east-1";
    private static final int LOG_TAIL_LINES = 40;

    private final Process process;
    private final URI endpoint;
    private final String accessKeyId;
    private final String secretAccessKey;
    private final Path workDirectory;
    private final Path dataDirectory;
    private final Thread shutdownHook;
    private S3Client admin;
    private boolean stopped;

    private final boolean detached;

    private S3ProxyProcess(Process process, URI endpoint, Launch launch) {
        this.detached = launch.detached;
        this.process = process;
        this.endpoint = endpoint;
        this.accessKeyId = launch.accessKeyId;
        this.secretAccessKey = launch.secretAccessKey;
        this.workDirectory = launch.workDirectory;
        this.dataDirectory = launch.dataDirectory;
        this.shutdownHook = new Thread(this::stopQuietly, "s3proxy-shutdown-" + process.pid());
        if (!launch.detached) {
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
    }

    /** A builder for a server run from the S3Proxy {@code jar-with-dependencies} at {@code jar}. */
    public static Builder builder(Path jar) {
        return new Builder(jar);
    }

    /** The server's endpoint, {@code http://127.0.0.1:PORT}. */
    public URI endpoint() {
        return endpoint;
    }

    /** The signing region the server accepts (any; this is the one to configure). */
    public String region() {
        return REGION;
    }

    public String accessKeyId() {
        return accessKeyId;
    }

    public String secretAccessKey() {
        return secretAccessKey;
    }

    /** Where the buckets live on disk (one directory per bucket). */
    public Path dataDirectory() {
        return dataDirectory;
    }

    /** The server's stdout and stderr. */
    public Path logFile() {
        return workDirectory.resolve("s3proxy.log");
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** A config for {@code bucket} on this server: its endpoint, region, keys, path-style addressing. */
    public S3Config.Builder configFor(String bucket) {
        return S3Config.builder()
                .endpoint(endpoint)
                .region(REGION)
                .bucket(bucket)
                .pathStyle(true)
                .credentials(S3Credentials.of(accessKeyId, secretAccessKey));
    }

    /**
     * Creates a bucket.
     *
     * @throws ObjectStoreException if the server refuses (e.g. the bucket exists)
     */
    public synchronized void createBucket(String bucket) {
        S3Config config = configFor(bucket).build();
        if (admin == null) {
            admin = S3ClientFactory.create(config);
        }
        try {
            admin.createBucket(b -> b.bucket(bucket));
        } catch (SdkException e) {
            throw new S3ErrorMapper(config).map("CREATE BUCKET", "", e);
        }
    }

    /** Stops the server, waits for it to exit and deletes its temporary directory. Idempotent. */
    public synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        if (admin != null) {
            admin.close();
        }
        terminate(process);
        deleteWorkDirectory();
        try {
            if (!detached) {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            }
        } catch (IllegalStateException e) {
            // The JVM is shutting down and this may be the hook itself: nothing to remove.
        }
        LOG.debug("S3Proxy at {} stopped", endpoint);
    }

    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return "S3ProxyProcess[" + endpoint + ", pid " + process.pid() + (stopped ? ", stopped" : "") + "]";
    }

    private void stopQuietly() {
        try {
            stop();
        } catch (RuntimeException e) {
            LOG.warn("could not stop S3Proxy at {}", endpoint, e);
        }
    }

    private static void terminate(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private void deleteWorkDirectory() {
        try {
            // Holds the properties, the log and, unless the caller chose a data directory, the buckets.
            Directories.deleteRecursively(workDirectory);
        } catch (IOException e) {
            LOG.warn("could not delete {}: {}", workDirectory, e.toString());
        }
    }

    /** What one start attempt needs. */
    private static final class Launch {
        final String accessKeyId = "pacsfs" + randomHex(7);
        final String secretAccessKey = randomHex(20);
        Path workDirectory;
        Path dataDirectory;
        boolean detached;
    }

    private static String randomHex(int bytes) {
        byte[] random = new byte[bytes];
        new SecureRandom().nextBytes(random);
        return HexFormat.of().formatHex(random);
    }

    /** Settings of a server to start; every setter validates its argument. Not thread-safe. */
    public static final class Builder {
        private final Path jar;
        private Path dataDirectory;
        private Duration startupTimeout = Duration.ofSeconds(60);
        private Path javaExecutable = Path.of(System.getProperty("java.home"), "bin", "java");
        private List<String> jvmArgs = List.of("-Xmx1g");
        private int attempts = 3;
        private boolean detached;
        private int nice;
        private boolean ignoreUnknownHeaders;

        private Builder(Path jar) {
            this.jar = Objects.requireNonNull(jar, "jar");
        }

        /** Keep the buckets here (kept on stop) instead of a temporary directory (deleted on stop). */
        public Builder dataDirectory(Path dataDirectory) {
            this.dataDirectory = Objects.requireNonNull(dataDirectory, "dataDirectory");
            return this;
        }

        /** How long the server may take to answer HTTP (default 60 s). */
        public Builder startupTimeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("startupTimeout must be positive, got " + timeout);
            }
            this.startupTimeout = timeout;
            return this;
        }

        /** The {@code java} to run the server with (default: this JVM's). */
        public Builder javaExecutable(Path java) {
            this.javaExecutable = Objects.requireNonNull(java, "java");
            return this;
        }

        /** Options of the server's JVM (default {@code -Xmx1g}). */
        public Builder jvmArgs(List<String> jvmArgs) {
            this.jvmArgs = List.copyOf(jvmArgs);
            return this;
        }

        /** How many ports to try if another process takes the chosen one first (default 3). */
        public Builder attempts(int attempts) {
            if (attempts < 1) {
                throw new IllegalArgumentException("attempts must be >= 1, got " + attempts);
            }
            this.attempts = attempts;
            return this;
        }

        /**
         * For a server that must outlive this JVM's shutdown hooks (pacsfs mount --embedded-s3 drains the write-log to it
         * after SIGTERM): no shutdown hook (the owner calls {@link #stop()} when done), the server in its own session
         * (a terminal's Ctrl-C does not reach it), and a watchdog shell that stops it within a second if this JVM dies
         * without stopping it (kill -9). Needs {@code setsid} and {@code sh}.
         */
        public Builder detached() {
            this.detached = true;
            return this;
        }

        /**
         * Runs the server at this nice value (0..19, default 0 = unchanged), e.g. so that a server embedded for trying
         * pacsfs out yields the CPU to the application, as the shipping threads do ({@code --background-nice}).
         */
        public Builder nice(int nice) {
            if (nice < 0 || nice > 19) {
                throw new IllegalArgumentException("nice must be between 0 and 19, got " + nice);
            }
            this.nice = nice;
            return this;
        }

        /**
         * The server accepts request headers it does not implement (s3proxy.ignore-unknown-headers) instead of answering
         * 501 NotImplemented, e.g. a test's Object Lock headers; it stores the object without acting on them.
         */
        public Builder ignoreUnknownHeaders() {
            this.ignoreUnknownHeaders = true;
            return this;
        }

        /**
         * Starts the server and waits until it answers HTTP.
         *
         * @throws IllegalStateException if the jar is missing, or the server does not come up (with its log tail)
         */
        public S3ProxyProcess start() {
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException("S3Proxy jar not found: " + jar.toAbsolutePath());
            }
            IllegalStateException last = null;
            for (int attempt = 1; attempt <= attempts; attempt++) {
                try {
                    return startOnce();
                } catch (PortTakenException e) {
                    LOG.info("S3Proxy could not bind its port (attempt {} of {}), retrying on another", attempt,
                            attempts);
                    last = e;
                }
            }
            throw last;
        }

        private S3ProxyProcess startOnce() {
            Launch launch = prepare();
            int port = FreePort.pick();
            URI endpoint = URI.create("http://127.0.0.1:" + port);
            Path log = launch.workDirectory.resolve("s3proxy.log");
            Process process = launch(launch, endpoint, log);
            try {
                awaitHealthy(process, endpoint, log);
            } catch (RuntimeException e) {
                terminate(process);
                cleanUp(launch);
                throw e;
            }
            LOG.debug("S3Proxy started at {} (pid {}, data in {})", endpoint, process.pid(), launch.dataDirectory);
            return new S3ProxyProcess(process, endpoint, launch);
        }

        private Launch prepare() {
            var launch = new Launch();
            try {
                launch.workDirectory = Files.createTempDirectory("pacsfs-s3proxy-");
                launch.dataDirectory = dataDirectory == null
                        ? Files.createDirectory(launch.workDirectory.resolve("data"))
                        : Files.createDirectories(dataDirectory);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a directory for S3Proxy", e);
            }
            return launch;
        }

        private Process launch(Launch launch, URI endpoint, Path log) {
            Path properties = writeProperties(launch, endpoint, ignoreUnknownHeaders);
            var command = new ArrayList<String>();
            if (nice > 0) {
                command.addAll(List.of("nice", "-n", Integer.toString(nice)));
            }
            command.add(javaExecutable.toString());
            command.addAll(jvmArgs);
            command.addAll(List.of("-jar", jar.toAbsolutePath().toString(), "--properties", properties.toString()));
            if (detached) {
                launch.detached = true;
                StringBuilder java = new StringBuilder();
                for (String c : command) {
                    java.append('\'').append(c.replace("'", "'\\''")).append("' ");
                }
                long parent = ProcessHandle.current().pid();
                String script = java + "& child=$!; trap 'kill $child 2>/dev/null' TERM INT; "
                        + "while kill -0 " + parent + " 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 1; done; "
                        + "kill $child 2>/dev/null; wait $child";
                command = new ArrayList<>(List.of("setsid", "sh", "-c", script));
            }
            try {
                return new ProcessBuilder(command)
                        .directory(launch.workDirectory.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
            } catch (IOException e) {
                cleanUp(launch);
                throw new UncheckedIOException("cannot start S3Proxy: " + String.join(" ", command), e);
            }
        }

        private static Path writeProperties(Launch launch, URI endpoint, boolean ignoreUnknownHeaders) {
            var p = new Properties();
            if (ignoreUnknownHeaders) {
                p.setProperty("s3proxy.ignore-unknown-headers", "true");
            }
            p.setProperty("s3proxy.endpoint", endpoint.toString());
            p.setProperty("s3proxy.authorization", "aws-v2-or-v4");
            p.setProperty("s3proxy.identity", launch.accessKeyId);
            p.setProperty("s3proxy.credential", launch.secretAccessKey);
            p.setProperty("jclouds.provider", "filesystem-nio2");
            p.setProperty("jclouds.identity", launch.accessKeyId);
            p.setProperty("jclouds.credential", launch.secretAccessKey);
            p.setProperty("jclouds.filesystem.basedir", launch.dataDirectory.toString());
            Path file = launch.workDirectory.resolve("s3proxy.properties");
            try {
                // The file holds the secret: readable by the owner only, from the moment it exists.
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                    p.store(out, "pacsfs: S3Proxy for " + endpoint);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + file, e);
            }
            return file;
        }

        private void awaitHealthy(Process process, URI endpoint, Path log) {
            long deadline = System.nanoTime() + startupTimeout.toNanos();
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    String tail = LogTail.of(log, LOG_TAIL_LINES);
                    if (tail.contains("Address already in use") || tail.contains("BindException")) {
                        throw new PortTakenException(endpoint, tail);
                    }
                    throw new IllegalStateException("S3Proxy exited with status " + process.exitValue()
                            + " before answering at " + endpoint + "; last lines of " + log + ":\n" + tail);
                }
                if (answersHttp(endpoint)) {
                    return;
                }
                sleep(Duration.ofMillis(100));
            }
            throw new IllegalStateException("S3Proxy did not answer at " + endpoint + " within " + startupTimeout
                    + "; last lines of " + log + ":\n" + LogTail.of(log, LOG_TAIL_LINES));
        }

        /** Any HTTP response means the server is up: without a signature it answers 403, which is fine. */
        private static boolean answersHttp(URI endpoint) {
            try {
                var connection = (HttpURLConnection) endpoint.resolve("/").toURL().openConnection();
                connection.setConnectTimeout(500);
                connection.setReadTimeout(2000);
                try {
                    return connection.getResponseCode() > 0;
                } finally {
                    connection.disconnect();
                }
            } catch (IOException e) {
                return false;
            }
        }

        private static void sleep(Duration duration) {
            try {
                Thread.sleep(duration.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for S3Proxy", e);
            }
        }

        private static void cleanUp(Launch launch) {
            try {
                Directories.deleteRecursively(launch.workDirectory);
            } catch (IOException e) {
                LOG.warn("could not delete {}: {}", launch.workDirectory, e.toString());
            }
        }
    }

    /** The server exited because its port was taken between our check and its bind. */
    private static final class PortTakenException extends IllegalStateException {
        PortTakenException(URI endpoint, String logTail) {
            super("S3Proxy could not bind " + endpoint + ": the port was taken; last log lines:\n" + logTail);
        }
    }
}
