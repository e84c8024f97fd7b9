package org.pacsfs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pacsfs.it.faults.FaultProxy;
import org.pacsfs.testing.S3TestBucket;
import org.pacsfs.testing.WithS3Proxy;

/**
 * Running out of room: an S3 outage long enough to fill the write-log cap (writers wait, then get ENOSPC; nothing
 * acknowledged is lost; writing resumes when S3 returns), and a full local disk under the write-log (ENOSPC, reads go
 * on, writing resumes when space returns).
 */
@WithS3Proxy
@Timeout(900)
class ResourceLimitsIT {

    @Test
    void anOutageThatFillsTheWriteLogCapGivesEnospcThenWritingResumes(S3TestBucket bucket) throws Exception {
        Path work = WorkDir.fresh("wal-cap");
        Path mnt = Files.createDirectories(work.resolve("mnt"));
        Map<String, byte[]> acknowledged = new TreeMap<>();
        Random random = new Random(13);
        try (FaultProxy proxy = new FaultProxy(bucket.endpoint());
             PacsfsProcess.Mount mount = PacsfsProcess.mount(bucket, mnt, work.resolve("cache"), "--create",
                     "--endpoint", proxy.endpoint().toString(), "--wal-cap", "160M")) {
            proxy.down(true);
            IOException full = null;
            long start = System.nanoTime();
            for (int i = 0; i < 100 && full == null; i++) {
                byte[] data = new byte[4 << 20];
                random.nextBytes(data);
                String name = "IM" + i + ".dcm";
                try {
                    write(mnt.resolve(name), data);
                    acknowledged.put(name, data);
                } catch (IOException e) {
                    full = e;
                }
            }
            double waited = (System.nanoTime() - start) / 1e9;
            assertThat(full).as("ENOSPC once the write-log cap is reached").isNotNull();
            assertThat(full.getMessage()).contains("No space left on device");
            assertThat(acknowledged.size()).as("files written before the cap").isBetween(20, 40);
            assertThat(mount.log()).contains("writes fail with ENOSPC: the local write-log reached its cap");
            // Reads of everything acknowledged still work during the outage.
            for (Map.Entry<String, byte[]> e : acknowledged.entrySet()) {
                assertThat(Arrays.equals(Files.readAllBytes(mnt.resolve(e.getKey())), e.getValue())).as(e.getKey()).isTrue();
            }
            proxy.down(false);
            CliErrorsIT.awaitShipped(mnt, Duration.ofMinutes(3));
            byte[] after = new byte[4 << 20];
            random.nextBytes(after);
            write(mnt.resolve("after.dcm"), after);
            acknowledged.put("after.dcm", after);
            System.out.printf("wal-cap: %d files (%d MiB) acknowledged before ENOSPC after %.1f s of outage; writing resumed after S3 returned%n",
                    acknowledged.size() - 1, (acknowledged.size() - 1) * 4, waited);
            mount.unmount();
        }
        try (PacsfsProcess.Mount reader = PacsfsProcess.mount(bucket, mnt, work.resolve("cache-fresh"), "--read-only")) {
            for (Map.Entry<String, byte[]> e : acknowledged.entrySet()) {
                assertThat(Arrays.equals(Files.readAllBytes(mnt.resolve(e.getKey())), e.getValue())).as(e.getKey()).isTrue();
            }
            reader.unmount();
        }
    }

    @Test
    void aFullLocalDiskGivesEnospcKeepsReadsAndResumes(S3TestBucket bucket) throws Exception {
        Path work = WorkDir.fresh("disk-full");
        Path mnt = Files.createDirectories(work.resolve("mnt"));
        Path small = Files.createDirectories(work.resolve("small-disk"));
        // A 200 MiB filesystem for the write-log (root, as CI and these machines are).
        Sh.ok(work, "mount -t tmpfs -o size=200m pacsfs-test-tmpfs " + small);
        try {
            Map<String, byte[]> acknowledged = new TreeMap<>();
            Random random = new Random(17);
            try (PacsfsProcess.Mount mount = PacsfsProcess.mount(bucket, mnt, work.resolve("cache"), "--create",
                    "--wal-dir", small.resolve("wal").toString())) {
                for (int i = 0; i < 5; i++) {
                    byte[] data = new byte[1 << 20];
                    random.nextBytes(data);
                    write(mnt.resolve("before" + i), data);
                    acknowledged.put("before" + i, data);
                }
                // Fill the disk, leaving less than a write-log segment.
                Sh.ok(small, "dd if=/dev/zero of=filler bs=1M status=none || true");
                IOException full = null;
                for (int i = 0; i < 200 && full == null; i++) {
                    byte[] data = new byte[1 << 20];
                    random.nextBytes(data);
                    try {
                        write(mnt.resolve("during" + i), data);
                        acknowledged.put("during" + i, data);
                    } catch (IOException e) {
                        full = e;
                    }
                }
                assertThat(full).as("a full disk surfaces as an error").isNotNull();
                assertThat(full.getMessage()).contains("No space left on device");
                assertThat(mount.log()).contains("writes fail with ENOSPC: the disk of the write-log");
                for (Map.Entry<String, byte[]> e : acknowledged.entrySet()) {
                    assertThat(Arrays.equals(Files.readAllBytes(mnt.resolve(e.getKey())), e.getValue())).as(e.getKey()).isTrue();
                }
                Files.delete(small.resolve("filler"));
                byte[] after = new byte[1 << 20];
                random.nextBytes(after);
                IOException stillFailing = null;
                try {
                    write(mnt.resolve("after"), after);
                    acknowledged.put("after", after);
                } catch (IOException e) {
                    stillFailing = e;
                }
                System.out.printf("disk-full: %d files acknowledged, first error '%s', writing after space returned: %s%n",
                        acknowledged.size(), full.getMessage(), stillFailing == null ? "resumed" : "failed: " + stillFailing.getMessage());
                assertThat(stillFailing).as("writing resumes when space returns").isNull();
                mount.unmount();
            }
            try (PacsfsProcess.Mount reader = PacsfsProcess.mount(bucket, mnt, work.resolve("cache-fresh"), "--read-only")) {
                for (Map.Entry<String, byte[]> e : acknowledged.entrySet()) {
                    assertThat(Arrays.equals(Files.readAllBytes(mnt.resolve(e.getKey())), e.getValue())).as(e.getKey()).isTrue();
                }
                reader.unmount();
            }
        } finally {
            Sh.run(work, "umount -l " + small);
        }
    }

    private static void write(Path p, byte[] data) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(data);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
    }
}
