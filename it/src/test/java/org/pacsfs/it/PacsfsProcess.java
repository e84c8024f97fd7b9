package org.pacsfs.it;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.pacsfs.fuse.MountTable;
import org.pacsfs.fuse.cli.Main;
import org.pacsfs.testing.S3TestBucket;

/**
 * The real {@code pacsfs} command as a child process (same JVM flags and classpath as the test), so that tests can
 * mount, unmount, run the other commands, and {@code kill -9} the mount. Credentials reach it as a user's would:
 * through the standard AWS environment variables.
 */
final class PacsfsProcess {

    private PacsfsProcess() {
    }

    /** The outcome of a command that ran to its end. */
    record Result(int exitCode, String output) {
    }

    /** A running foreground mount. */
    static final class Mount implements AutoCloseable {
        final Process process;
        final Path mountPoint;
        final Path log;

        Mount(Process process, Path mountPoint, Path log) {
            this.process = process;
            this.mountPoint = mountPoint;
            this.log = log;
        }

        /** {@code pacsfs unmount} (drain, release the lease) and waits for the mount process to exit. */
        void unmount() throws Exception {
            Result r = run(null, Duration.ofMinutes(3), "unmount", mountPoint.toString());
            if (r.exitCode() != 0) {
                throw new AssertionError("pacsfs unmount failed: " + r.output() + "\nmount log:\n" + log());
            }
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                throw new AssertionError("the mount process did not exit after unmount\n" + log());
            }
        }

        /** kill -9: no drain, no lease release, the mount left behind ("Transport endpoint is not connected"). */
        void kill9() throws Exception {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }

        String log() {
            try {
                return Files.readString(log, StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(no log: " + e + ")";
            }
        }

        @Override
        public void close() throws Exception {
            if (process.isAlive()) {
                new ProcessBuilder("fusermount", "-u", "-z", mountPoint.toString()).start().waitFor();
                if (!process.waitFor(120, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor();
                }
            }
            if (MountTable.isFuseMount(mountPoint)) {
                new ProcessBuilder("fusermount", "-u", "-z", mountPoint.toString()).start().waitFor();
            }
        }
    }

    /** Starts {@code pacsfs mount s3://bucket MOUNTPOINT --foreground ARGS} and returns once mounted. */
    static Mount mount(S3TestBucket bucket, Path mountPoint, Path cacheDir, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("mount", "s3://" + bucket.name(), mountPoint.toString(),
                "--cache-dir", cacheDir.toString(), "--foreground"));
        args.addAll(List.of(extra));
        if (!args.contains("--expected-files")) {
            // A small index: the default (2 million files) takes 1.8 GB of disk per cache directory, and the suite mounts
            // a few dozen of them.
            args.addAll(List.of("--expected-files", "20000"));
        }
        if (!args.contains("--endpoint")) {
            args.addAll(List.of("--endpoint", bucket.endpoint().toString()));
        }
        Path log = Files.createTempFile(cacheDir.getParent(), "mount-", ".log");
        Process p = builder(bucket, args).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        try {
            // The child says when its mount is there (a mount left behind by a killed process would look mounted too).
            while (!(Files.readString(log).contains("mounted at " + mountPoint) && MountTable.isFuseMount(mountPoint)
                    && !MountTable.isStale(mountPoint))) {
                if (!p.isAlive()) {
                    throw new AssertionError("pacsfs mount exited with " + p.exitValue() + ":\n" + Files.readString(log));
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no mount after 90 s:\n" + Files.readString(log));
                }
                Thread.sleep(50);
            }
        } catch (Exception | Error e) {
            // Also when a test's timeout interrupts the wait: no mount process may outlive the test.
            new Mount(p, mountPoint, log).close();
            throw e;
        }
        return new Mount(p, mountPoint, log);
    }

    /** Runs a pacsfs command to its end (bucket: for credentials, may be null). */
    static Result run(S3TestBucket bucket, Duration timeout, String... args) throws Exception {
        Process p = builder(bucket, List.of(args)).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("pacsfs " + String.join(" ", args) + " did not finish within " + timeout);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** The {@code pacsfs ARGS} command, not started (bucket: for credentials, may be null). */
    static ProcessBuilder command(S3TestBucket bucket, String... args) {
        return builder(bucket, List.of(args));
    }

    private static ProcessBuilder builder(S3TestBucket bucket, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-") || a.startsWith("-Dchronicle") || a.startsWith("--enable-native-access")
                    || a.startsWith("-Dpacsfs")) {
                command.add(a);
            }
        }
        command.add("-Xmx2g");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Main.class.getName());
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command);
        Map<String, String> env = pb.environment();
        env.remove("AWS_PROFILE");
        if (bucket != null) {
            env.put("AWS_ACCESS_KEY_ID", bucket.accessKeyId());
            env.put("AWS_SECRET_ACCESS_KEY", bucket.secretAccessKey());
            env.put("AWS_REGION", bucket.region());
        }
        return pb;
    }
}
