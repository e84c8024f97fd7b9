package org.pacsfs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pacsfs.fuse.MountTable;
import org.pacsfs.testing.S3TestBucket;
import org.pacsfs.testing.WithS3Proxy;

/**
 * A background mount (what {@code mount -t pacsfs} and fstab run) started by systemd logs to the journal: systemd
 * connects standard output and error to a journal stream and names it in {@code JOURNAL_STREAM=DEV:INODE}. Here a
 * file stands in for the stream (its device and inode in the variable), so the test sees what journald would get.
 */
@WithS3Proxy
@Timeout(300)
class BackgroundMountIT {

    @Test
    void underSystemdTheMountProcessLogsToTheJournalStreamItInherited(S3TestBucket bucket) throws Exception {
        Path work = WorkDir.fresh("background-journal");
        Path mnt = Files.createDirectories(work.resolve("mnt"));
        Path journal = Files.createFile(work.resolve("journal-stream"));
        ProcessBuilder pb = PacsfsProcess.command(bucket, "mount", "s3://" + bucket.name(), mnt.toString(), "--create",
                "--cache-dir", work.resolve("cache").toString(), "--expected-files", "20000",
                "--endpoint", bucket.endpoint().toString());
        pb.environment().put("JOURNAL_STREAM", Files.getAttribute(journal, "unix:dev") + ":" + Files.getAttribute(journal, "unix:ino"));
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(journal.toFile()));
        Process mount = pb.start();
        try {
            assertThat(mount.waitFor(120, TimeUnit.SECONDS)).as("mount returns once mounted").isTrue();
            assertThat(mount.exitValue()).as(read(journal)).isZero();
            assertThat(MountTable.isFuseMount(mnt)).isTrue();
            Files.writeString(mnt.resolve("a"), "hello");
            // The mount process (the background child) writes its own log lines into the stream, each with its
            // syslog priority first (journald reads it) and no timestamp (journald adds it).
            assertThat(read(journal)).contains("pacsfs: mounted at " + mnt + " (process ").contains("log in the journal")
                    .contains("\n<6>INFO  LocalFileSystem: filesystem in ");
            PacsfsProcess.Result r = PacsfsProcess.run(null, Duration.ofMinutes(3), "unmount", mnt.toString());
            assertThat(r.exitCode()).as(r.output()).isZero();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!read(journal).contains("released lease") && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(read(journal)).as("the child's shutdown lines reach the stream too").contains("released lease");
        } finally {
            if (MountTable.isFuseMount(mnt)) {
                new ProcessBuilder("fusermount", "-u", "-z", mnt.toString()).start().waitFor();
            }
        }
    }

    @Test
    void withoutTheJournalTheMountProcessLogsToAFileAndSaysWhere(S3TestBucket bucket) throws Exception {
        Path work = WorkDir.fresh("background-file");
        Path mnt = Files.createDirectories(work.resolve("mnt"));
        Path out = work.resolve("stdout");
        ProcessBuilder pb = PacsfsProcess.command(bucket, "mount", "s3://" + bucket.name(), mnt.toString(), "--create",
                "--cache-dir", work.resolve("cache").toString(), "--expected-files", "20000",
                "--endpoint", bucket.endpoint().toString());
        // A stale variable from a parent whose descriptors were replaced must not count.
        pb.environment().put("JOURNAL_STREAM", "8:12345");
        pb.redirectErrorStream(true).redirectOutput(out.toFile());
        Process mount = pb.start();
        try {
            assertThat(mount.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(mount.exitValue()).as(read(out)).isZero();
            String said = read(out);
            assertThat(said).startsWith("pacsfs: mounted at " + mnt).doesNotContain("LocalFileSystem");
            Path log = Path.of(said.replaceAll("(?s).*, log (.*?)\\); unmount.*", "$1"));
            assertThat(read(log)).contains("LocalFileSystem");
            PacsfsProcess.Result r = PacsfsProcess.run(null, Duration.ofMinutes(3), "unmount", mnt.toString());
            assertThat(r.exitCode()).as(r.output()).isZero();
        } finally {
            if (MountTable.isFuseMount(mnt)) {
                new ProcessBuilder("fusermount", "-u", "-z", mnt.toString()).start().waitFor();
            }
        }
    }

    private static String read(Path p) throws java.io.IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }
}
