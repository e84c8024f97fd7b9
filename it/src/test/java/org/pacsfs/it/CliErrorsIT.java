package org.pacsfs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pacsfs.fuse.MountTable;
import org.pacsfs.testing.S3TestBucket;
import org.pacsfs.testing.WithS3Proxy;

/**
 * Every bad input exits non-zero with one line saying what is wrong and what to do, and leaves nothing mounted.
 */
@WithS3Proxy
@Timeout(300)
class CliErrorsIT {

    private Path work;

    @org.junit.jupiter.api.BeforeEach
    void freshDirectory(org.junit.jupiter.api.TestInfo test) throws Exception {
        work = WorkDir.fresh("cli-errors-" + test.getTestMethod().orElseThrow().getName());
    }

    @Test
    void usageErrorsNameTheOption() throws Exception {
        PacsfsProcess.Result r = PacsfsProcess.run(null, Duration.ofSeconds(60), "mount", "--no-such-option", "/x");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.output()).contains("--no-such-option");
        r = PacsfsProcess.run(null, Duration.ofSeconds(60), "mount", "s3://b", "/x", "--wal-cap", "lots");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.output()).contains("'lots' is not a size");
        r = PacsfsProcess.run(null, Duration.ofSeconds(60), "ls", "http://bucket");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.output()).contains("expected s3://BUCKET");
        r = PacsfsProcess.run(null, Duration.ofSeconds(60), "--version");
        assertThat(r.exitCode()).isZero();
        assertThat(r.output()).startsWith("pacsfs ");
    }

    @Test
    void badMountPointsAndBucketsFailWithOneLineAndMountNothing(S3TestBucket bucket) throws Exception {
        Path mnt = Files.createDirectories(work.resolve("mnt-" + bucket.name()));
        String endpoint = bucket.endpoint().toString();
        Path cache = work.resolve("cache-" + bucket.name());

        expectOneLine(bucket, "does not exist", "mount", "s3://" + bucket.name(), work.resolve("missing").toString(), "--endpoint", endpoint);
        Files.writeString(Files.createDirectories(work.resolve("full")).resolve("x"), "x");
        expectOneLine(bucket, "is not empty", "mount", "s3://" + bucket.name(), work.resolve("full").toString(), "--endpoint", endpoint);
        expectOneLine(bucket, "holds no pacsfs filesystem yet; to create one there, mount once with --create",
                "mount", "s3://" + bucket.name(), mnt.toString(), "--endpoint", endpoint, "--cache-dir", cache.toString());
        expectOneLine(bucket, "no-such-bucket-here", "mount", "s3://no-such-bucket-here", mnt.toString(), "--endpoint", endpoint,
                "--cache-dir", cache.toString());
        expectOneLine(bucket, "--durability must be 'local' or 'remote'", "mount", "s3://" + bucket.name(), mnt.toString(),
                "--durability", "eventually");
        expectOneLine(bucket, "--memory-cache must be at least 16 MiB", "mount", "s3://" + bucket.name(), mnt.toString(),
                "--memory-cache", "8M");
        expectOneLine(bucket, "there is nothing to mount read-only", "mount", "s3://" + bucket.name(), mnt.toString(),
                "--endpoint", endpoint, "--read-only", "--cache-dir", cache.toString());

        // Wrong credentials: the server refuses, the message says so.
        PacsfsProcess.Result r = PacsfsProcess.run(null, Duration.ofSeconds(120), "ls", "s3://" + bucket.name(), "--endpoint", endpoint);
        assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
        assertThat(lastLine(r)).startsWith("pacsfs: ");
        assertThat(r.output()).doesNotContain("\tat ");
        assertThat(MountTable.isMountPoint(mnt)).isFalse();
    }

    @Test
    void aSecondWriterIsRefusedNamingTheHolderAndAReadOnlyMountRunsBesideIt(S3TestBucket bucket) throws Exception {
        Path mnt1 = Files.createDirectories(work.resolve("w1-" + bucket.name()));
        Path mnt2 = Files.createDirectories(work.resolve("w2-" + bucket.name()));
        try (PacsfsProcess.Mount first = PacsfsProcess.mount(bucket, mnt1, work.resolve("c1-" + bucket.name()), "--create")) {
            Files.writeString(mnt1.resolve("hello.txt"), "from the writer");
            Sh.ok(mnt1, "sync hello.txt");
            PacsfsProcess.Result r = PacsfsProcess.run(bucket, Duration.ofSeconds(120), "mount", "s3://" + bucket.name(), mnt2.toString(),
                    "--endpoint", bucket.endpoint().toString(), "--cache-dir", work.resolve("c2-" + bucket.name()).toString(), "--foreground");
            assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
            assertThat(lastLine(r)).startsWith("pacsfs: ").contains("lease");
            assertThat(MountTable.isMountPoint(mnt2)).isFalse();
            // Wait until the writer has shipped, then a read-only mount (no lease) sees the file, and refuses writes.
            awaitShipped(mnt1);
            try (PacsfsProcess.Mount reader = PacsfsProcess.mount(bucket, mnt2, work.resolve("c3-" + bucket.name()), "--read-only")) {
                assertThat(Files.readString(mnt2.resolve("hello.txt"))).isEqualTo("from the writer");
                Sh.Result w = Sh.run(mnt2, "echo x > new.txt");
                assertThat(w.exitCode()).isNotZero();
                assertThat(w.output()).contains("Read-only file system");
                reader.unmount();
            }
            // And pacsfs ls / cat read the bucket without any mount.
            PacsfsProcess.Result ls = PacsfsProcess.run(bucket, Duration.ofSeconds(120), "ls", "s3://" + bucket.name(), "/",
                    "--endpoint", bucket.endpoint().toString());
            assertThat(ls.exitCode()).as(ls.output()).isZero();
            assertThat(ls.output().lines().toList()).contains("hello.txt");
            PacsfsProcess.Result cat = PacsfsProcess.run(bucket, Duration.ofSeconds(120), "cat", "s3://" + bucket.name(), "hello.txt",
                    "--endpoint", bucket.endpoint().toString());
            assertThat(cat.exitCode()).as(cat.output()).isZero();
            assertThat(cat.output()).endsWith("from the writer");
            first.unmount();
        }
    }

    static void awaitShipped(Path mnt) throws Exception {
        awaitShipped(mnt, Duration.ofSeconds(60));
    }

    static void awaitShipped(Path mnt, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            PacsfsProcess.Result s = PacsfsProcess.run(null, Duration.ofSeconds(60), "status", mnt.toString(), "--json");
            if (s.output().contains("\"unshippedRecords\":0")) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("not shipped within " + timeout);
    }

    private static void expectOneLine(S3TestBucket bucket, String expected, String... args) throws Exception {
        PacsfsProcess.Result r = PacsfsProcess.run(bucket, Duration.ofSeconds(120), append(args, "--foreground"));
        assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
        assertThat(lastLine(r)).startsWith("pacsfs: ").contains(expected);
        assertThat(r.output()).doesNotContain("\tat ");
    }

    private static String[] append(String[] args, String extra) {
        if (!args[0].equals("mount")) {
            return args;
        }
        String[] out = java.util.Arrays.copyOf(args, args.length + 1);
        out[args.length] = extra;
        return out;
    }

    private static String lastLine(PacsfsProcess.Result r) {
        List<String> lines = r.output().lines().filter(l -> !l.isBlank()).toList();
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }
}
