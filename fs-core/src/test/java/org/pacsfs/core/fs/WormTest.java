package org.pacsfs.core.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.bucket.FsSettings;
import org.pacsfs.core.store.InMemoryObjectStore;

/**
 * WORM mode (docs/SEMANTICS.md, WORM): every operation that would change or remove a write-once file fails with EPERM
 * until its retention ends, and the rule holds after a remount and on another machine. Time is an injected clock.
 */
class WormTest {
    static final long T0 = 1_700_000_000_000_000_000L;
    static final long SECOND = 1_000_000_000L;
    static final Duration RETENTION = Duration.ofDays(10);
    static final Duration GRACE = Duration.ofSeconds(60);
    static final int W = OpenFlags.O_WRONLY | OpenFlags.O_CREAT;

    @TempDir
    Path machineA;
    @TempDir
    Path machineB;
    final AtomicLong clock = new AtomicLong(T0);
    final InMemoryObjectStore store = new InMemoryObjectStore();
    LocalFileSystem fs;

    @BeforeEach
    void create() throws Exception {
        FsSettings.establish(store, BucketKeys.under("fs1/"), new FsSettings(true, RETENTION, GRACE), true);
        fs = open(machineA);
    }

    @AfterEach
    void close() throws Exception {
        if (fs != null) {
            fs.close();
        }
    }

    LocalFileSystem open(Path state) throws FsException {
        return LocalFileSystem.open(FsConfig.defaults(state).withIndexSize(10_000, 100_000).withClock(clock::get),
                RemoteShippingTest.remote(store));
    }

    void write(String path, String text) throws FsException {
        long fh = fs.create(path, 0644, W, Caller.ROOT);
        fs.write(fh, 0, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
        fs.release(fh);
    }

    void append(String path, String text) throws FsException {
        long fh = fs.open(path, OpenFlags.O_WRONLY | OpenFlags.O_APPEND);
        fs.write(fh, 0, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
        fs.release(fh);
    }

    String read(String path) throws FsException {
        return new String(RemoteShippingTest.readAll(fs, path), StandardCharsets.UTF_8);
    }

    void advance(long seconds) {
        clock.addAndGet(seconds * SECOND);
    }

    static void assertEperm(ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(FsException.class, e -> {
            assertThat(e.errno()).isEqualTo(Errno.EPERM);
            assertThat(e.getMessage()).contains("write-once (WORM) until");
        });
    }

    /** Each operation that changes or removes the file, against a fresh handle where it needs one. */
    void assertEveryChangeRefused(String path) throws FsException {
        write("/other", "x");
        assertEperm(() -> fs.open(path, OpenFlags.O_WRONLY));
        assertEperm(() -> fs.open(path, OpenFlags.O_RDWR));
        assertEperm(() -> fs.open(path, OpenFlags.O_WRONLY | OpenFlags.O_APPEND));
        assertEperm(() -> fs.open(path, OpenFlags.O_WRONLY | OpenFlags.O_TRUNC));
        assertEperm(() -> fs.create(path, 0644, W | OpenFlags.O_TRUNC, Caller.ROOT));
        assertEperm(() -> fs.truncate(path, 0));
        assertEperm(() -> fs.unlink(path));
        assertEperm(() -> fs.rename(path, "/moved", 0));
        assertEperm(() -> fs.rename("/other", path, 0));
        assertEperm(() -> fs.link(path, "/hardlink"));
        assertEperm(() -> fs.chmod(path, 0600));
        assertEperm(() -> fs.chown(path, 1000, 1000));
        assertEperm(() -> fs.utimens(path, OpenFlags.UTIME_NOW, OpenFlags.UTIME_NOW));
        assertEperm(() -> fs.setxattr(path, "user.k", new byte[] {1}, 0));
        fs.unlink("/other");
    }

    @Test
    void aClosedFileIdleForTheGracePeriodRefusesEveryChangeUntilItsRetentionEnds() throws Exception {
        fs.mkdir("/study", 0755, Caller.ROOT);
        write("/study/a.dcm", "one");
        advance(30);
        append("/study/a.dcm", "+two"); // within the grace period: still writable
        fs.setxattr("/study/a.dcm", "user.k", new byte[] {1}, 0);
        advance(60); // grace since the last change over
        assertEveryChangeRefused("/study/a.dcm");
        assertEperm(() -> fs.removexattr("/study/a.dcm", "user.k"));
        assertThatThrownBy(() -> fs.rmdir("/study")).isInstanceOfSatisfying(FsException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.ENOTEMPTY));
        assertThat(read("/study/a.dcm")).isEqualTo("one+two");
        assertThat(fs.getxattr("/study/a.dcm", "user.k")).containsExactly(1);
        write("/study/b.dcm", "new files can still be created"); // the directory itself is not write-once
        fs.rename("/study", "/renamed-study", 0);
        fs.rename("/renamed-study", "/study", 0);

        clock.set(T0 + 30 * SECOND + RETENTION.toNanos() - SECOND); // one second before the retention ends
        assertEperm(() -> fs.unlink("/study/a.dcm"));
        advance(2);
        append("/study/a.dcm", "+three"); // retention over: changes are allowed again
        fs.chmod("/study/a.dcm", 0600);
        fs.rename("/study/a.dcm", "/study/c.dcm", 0);
        fs.unlink("/study/c.dcm");
        assertThat(fs.listxattr("/").size()).isZero();
    }

    @Test
    void aFileOpenForWritingStaysWritableAndIsWriteOnceAsSoonAsItIsClosedAfterTheGracePeriod() throws Exception {
        long fh = fs.create("/a", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, Caller.ROOT);
        fs.write(fh, 0, ByteBuffer.wrap(new byte[] {1}));
        advance(600);
        fs.write(fh, 1, ByteBuffer.wrap(new byte[] {2}));
        advance(600);
        fs.truncate(fh, 1);
        fs.chmod("/a", 0600); // open for writing: not yet write-once
        advance(600);
        long reader = fs.open("/a", OpenFlags.O_RDONLY);
        fs.release(fh);
        assertEperm(() -> fs.unlink("/a")); // an open reader does not make it writable
        fs.release(reader);
        assertEveryChangeRefused("/a");
    }

    @Test
    void writeOnceSurvivesARemountAndHoldsOnAnotherMachine() throws Exception {
        write("/a", "kept");
        advance(61);
        assertEperm(() -> fs.unlink("/a"));
        fs.close();
        fs = open(machineA);
        assertThat(fs.settings()).isEqualTo(new FsSettings(true, RETENTION, GRACE));
        assertEveryChangeRefused("/a");
        fs.close();
        fs = null;
        LocalFileSystem b = open(machineB); // a fresh machine: everything from the bucket
        try {
            assertEperm(() -> b.unlink("/a"));
            assertEperm(() -> b.open("/a", OpenFlags.O_WRONLY | OpenFlags.O_APPEND));
            assertThat(new String(RemoteShippingTest.readAll(b, "/a"), StandardCharsets.UTF_8)).isEqualTo("kept");
        } finally {
            b.close();
        }
    }

    @Test
    void aClockBehindTheLastChangeCountsAsWriteOnce() throws Exception {
        write("/a", "x");
        clock.set(T0 - 3600 * SECOND); // this machine's clock an hour behind the one that wrote the file
        assertEperm(() -> fs.unlink("/a"));
        write("/b", "a new file written now is writable within its grace period");
        fs.unlink("/b");
    }

    @Test
    void symlinksAndDirectoriesAreNotWriteOnce() throws Exception {
        fs.mkdir("/d", 0755, Caller.ROOT);
        fs.symlink("/d", "/link", Caller.ROOT);
        advance(3600);
        fs.chmod("/d", 0700);
        fs.unlink("/link");
        fs.rmdir("/d");
    }

    @Test
    void withoutWormAClosedFileCanBeRemovedAfterTheGracePeriod(@TempDir Path other) throws Exception {
        InMemoryObjectStore plain = new InMemoryObjectStore();
        try (LocalFileSystem p = LocalFileSystem.open(FsConfig.defaults(other).withIndexSize(10_000, 100_000)
                .withClock(clock::get), RemoteShippingTest.remote(plain))) {
            assertThat(p.settings()).isEqualTo(FsSettings.DEFAULTS);
            long fh = p.create("/a", 0644, W, Caller.ROOT);
            p.release(fh);
            advance(3600);
            p.chmod("/a", 0600);
            p.unlink("/a");
        }
    }
}
