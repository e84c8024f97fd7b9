package org.pacsfs.packaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pacsfs.testing.S3TestBucket;
import org.pacsfs.testing.WithS3Proxy;

/**
 * The .deb as an administrator uses it, on this machine (root, as CI is): apt-get install ./pacsfs_*.deb,
 * {@code mount -t pacsfs} against a real S3 server (S3Proxy), write and read, {@code umount}, an /etc/fstab-style line
 * (through {@code mount -T FILE}, so the machine's fstab is not touched) mounting the same filesystem read-only from an
 * empty cache directory, then apt-get purge (refused while mounted). Leaves nothing installed or mounted.
 */
@WithS3Proxy
@Timeout(300)
class DebPackageIT {

    private static final String APT = "apt-get -y -q -o DPkg::Lock::Timeout=120 ";

    @Test
    void installMountWriteReadUnmountRemove(S3TestBucket bucket) throws Exception {
        Path work = Build.freshDirectory("deb it");
        assumeTrue(Sh.ok(work, "id -u").trim().equals("0"), "installing a .deb needs root (CI runs as root)");
        // One installation per machine: builds of other checkouts on the same machine wait here for their turn.
        try (FileChannel lock = FileChannel.open(Path.of("/tmp/pacsfs-deb-it.lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock held = lock.lock()) {
            installMountWriteReadUnmountRemove(bucket, work);
        }
    }

    private void installMountWriteReadUnmountRemove(S3TestBucket bucket, Path work) throws Exception {
        Sh.Result before = Sh.run(work, "dpkg-query -W -f='${Status}' pacsfs");
        assertThat(before.output()).as("pacsfs is already installed on this machine; this test installs and removes it")
                .doesNotContain("installed");
        Path mnt = Files.createDirectories(work.resolve("mnt"));
        Map<String, String> env = Map.of("AWS_ACCESS_KEY_ID", bucket.accessKeyId(), "AWS_SECRET_ACCESS_KEY",
                bucket.secretAccessKey(), "AWS_REGION", bucket.region());
        String source = "s3://" + bucket.name() + "/archive";
        try {
            Sh.ok(work, APT + "install --no-install-recommends " + Sh.q(Build.artifact("pacsfs_*_all.deb")));
            assertThat(Sh.ok(work, "pacsfs --version")).startsWith("pacsfs ");
            assertThat(Sh.ok(work, "readlink -f /sbin/mount.pacsfs")).isEqualTo("/usr/share/pacsfs/bin/mount.pacsfs\n");
            assertThat(Sh.ok(work, "stat -c %a /var/lib/pacsfs")).isEqualTo("700\n");
            assertThat(Sh.ok(work, "grep -c 'TimeoutStopSec=420' /lib/systemd/system/pacsfs@.service")).isEqualTo("1\n");
            assertThat(Sh.ok(work, "pacsfs config check /usr/share/doc/pacsfs/examples/pacsfs.conf.example"))
                    .endsWith(": ok\n");
            // The units as systemd reads them: unknown keys, missing executables (systemd package; in CI's image too).
            Sh.ok(work, "cp /lib/systemd/system/pacsfs@.service 'pacsfs@archive.service' && cp /usr/share/doc/pacsfs/examples/mnt-pacs.mount .");
            assertThat(Sh.ok(work, "systemd-analyze verify 'pacsfs@archive.service' mnt-pacs.mount 2>&1")).isEmpty();

            // mount -t pacsfs: mount(8) runs /sbin/mount.pacsfs, which returns once mounted.
            Sh.ok(work, env, "mount -t pacsfs " + source + " " + Sh.q(mnt) + " -o _netdev,create,endpoint=" + bucket.endpoint()
                    + ",cache-dir=" + Sh.q(work.resolve("cache1")) + ",nosuid");
            assertThat(Sh.ok(work, "findmnt -n -o FSTYPE,OPTIONS " + Sh.q(mnt))).startsWith("fuse.pacsfs ").contains("nosuid");
            assertThat(Sh.ok(work, "stat -c %a " + Sh.q(work.resolve("cache1")))).isEqualTo("700\n");
            Sh.ok(mnt, "mkdir study && head -c 3000000 /dev/urandom > study/IM1.dcm && echo hello > study/a.txt && sync");
            String sums = Sh.ok(mnt, "sha256sum study/IM1.dcm study/a.txt");
            // Removing the package under a running mount is refused (the mount loads classes from its jars).
            Sh.Result refused = Sh.run(work, APT + "remove pacsfs");
            assertThat(refused.exitCode()).as(refused.output()).isNotZero();
            assertThat(refused.output()).contains("pacsfs is running:", "pacsfs mount " + source + " " + mnt, "Unmount first");
            assertThat(Sh.ok(work, "dpkg-query -W -f='${Status}' pacsfs")).isEqualTo("install ok installed");
            long pid = mountPid(work, mnt);
            // umount (as at shutdown): the kernel mount goes at once; the process ships the write-log, then exits.
            Sh.ok(work, "umount " + Sh.q(mnt));
            waitForExit(work, pid, Duration.ofSeconds(120));

            // The same filesystem through an fstab line, read-only from an empty cache directory (another machine).
            Path fstab = work.resolve("fstab");
            Files.writeString(fstab, "# test fstab\n" + source + " " + fstabEscape(mnt) + " pacsfs _netdev,noauto,ro,endpoint="
                    + bucket.endpoint() + ",cache-dir=" + fstabEscape(work.resolve("cache2")) + " 0 0\n");
            Sh.ok(work, env, "mount -T " + Sh.q(fstab) + " " + Sh.q(mnt));
            assertThat(Sh.ok(mnt, "sha256sum study/IM1.dcm study/a.txt")).isEqualTo(sums);
            assertThat(Sh.run(mnt, "touch study/b.txt").exitCode()).as("read-only mount").isNotZero();
            Sh.ok(work, "pacsfs unmount " + Sh.q(mnt));
        } finally {
            Sh.run(work, "mountpoint -q " + Sh.q(mnt) + " && fusermount -uz " + Sh.q(mnt));
            Sh.Result removed = Sh.run(work, APT + "purge pacsfs");
            assertThat(removed.exitCode()).as(removed.output()).isZero();
        }
        assertThat(Sh.run(work, "dpkg-query -W -f='${Status}' pacsfs").output()).doesNotContain("ok installed");
        assertThat(Files.exists(Path.of("/usr/bin/pacsfs"))).isFalse();
        assertThat(Files.exists(Path.of("/sbin/mount.pacsfs"))).isFalse();
    }

    /** fstab(5) writes a blank in a field as \040. */
    private static String fstabEscape(Path p) {
        return p.toString().replace(" ", "\\040");
    }

    private static long mountPid(Path work, Path mnt) throws Exception {
        Matcher m = Pattern.compile("\"pid\":(\\d+)").matcher(Sh.ok(work, "pacsfs status --json " + Sh.q(mnt)));
        assertThat(m.find()).isTrue();
        return Long.parseLong(m.group(1));
    }

    private static void waitForExit(Path work, long pid, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the mount process " + pid + " still runs " + timeout + " after umount");
            }
            Thread.sleep(100);
        }
    }
}
