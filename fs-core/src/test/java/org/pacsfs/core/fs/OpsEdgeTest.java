package org.pacsfs.core.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Limits (inode count, file size), cached resolutions after renames, exclusive create under contention. */
class OpsEdgeTest {
    @TempDir
    Path dir;
    LocalFileSystem fs;

    LocalFileSystem open(FsConfig cfg) throws FsException {
        fs = LocalFileSystem.open(cfg);
        return fs;
    }

    LocalFileSystem open() throws FsException {
        return open(FsConfig.defaults(dir).withIndexSize(10_000, 100_000));
    }

    @AfterEach
    void close() throws Exception {
        if (fs != null) {
            fs.close();
        }
    }

    static void assertErrno(Errno expected, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(expected));
    }

    void file(String path, String content) throws FsException {
        long fh = fs.create(path, 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, Caller.ROOT);
        fs.write(fh, 0, ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)));
        fs.release(fh);
    }

    String content(String path) throws FsException {
        long fh = fs.open(path, OpenFlags.O_RDONLY);
        try {
            ByteBuffer b = ByteBuffer.allocate((int) fs.getattr(path).size());
            fs.read(fh, 0, b);
            return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
        } finally {
            fs.release(fh);
        }
    }

    @Test
    void creatingBeyondMaxFilesIsEnospc() throws Exception {
        open(FsConfig.defaults(dir).withIndexSize(1000, 1000));
        fs.mkdir("/d", 0755, Caller.ROOT);
        for (int i = 0; i < 998; i++) { // root + /d + 998 = 1000
            fs.release(fs.create("/d/f" + i, 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, Caller.ROOT));
        }
        assertThat(fs.statfs().freeFiles()).isZero();
        assertErrno(Errno.ENOSPC, () -> fs.create("/d/x", 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, Caller.ROOT));
        assertErrno(Errno.ENOSPC, () -> fs.mkdir("/d/x", 0755, Caller.ROOT));
        assertErrno(Errno.ENOSPC, () -> fs.symlink("t", "/d/x", Caller.ROOT));
        assertErrno(Errno.ENOENT, () -> fs.getattr("/d/x"));
        // names for existing inodes need no new inode
        fs.link("/d/f0", "/d/f0-link");
        fs.rename("/d/f1", "/d/f1-renamed", 0);
        fs.unlink("/d/f2");
        fs.release(fs.create("/d/x", 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, Caller.ROOT));
        assertThat(fs.getattr("/d/x").type()).isEqualTo(FileType.REGULAR);
    }

    @Test
    void writesBeyondTheLargestOffsetAreEfbig() throws Exception {
        open();
        long fh = fs.create("/f", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, Caller.ROOT);
        assertErrno(Errno.EFBIG, () -> fs.write(fh, Long.MAX_VALUE - 2, ByteBuffer.allocate(10)));
        assertThat(fs.getattr(fh).size()).isZero();
        assertThat(fs.read(fh, Long.MAX_VALUE - 2, ByteBuffer.allocate(10))).isZero();
        fs.release(fh);
    }

    @Test
    void cachedResolutionsFollowRenamesAndReplacements() throws Exception {
        open();
        fs.mkdir("/x", 0755, Caller.ROOT);
        file("/x/f", "first");
        file("/b", "old b");
        file("/a", "new b");
        long a = fs.getattr("/a").ino();
        fs.getattr("/b");
        fs.getattr("/x/f");
        fs.rename("/a", "/b", 0);
        assertThat(fs.getattr("/b").ino()).isEqualTo(a);
        assertThat(content("/b")).isEqualTo("new b");
        fs.rename("/x", "/y", 0);
        fs.mkdir("/x", 0755, Caller.ROOT);
        assertErrno(Errno.ENOENT, () -> fs.getattr("/x/f"));
        file("/x/f", "second");
        assertThat(content("/x/f")).isEqualTo("second");
        assertThat(content("/y/f")).isEqualTo("first");
        // a name re-pointed by link after unlink
        fs.getattr("/y/f");
        fs.unlink("/y/f");
        fs.link("/x/f", "/y/f");
        assertThat(content("/y/f")).isEqualTo("second");
        assertThat(fs.getattr("/y/f").nlink()).isEqualTo(2);
    }

    @Test
    void renameIntoASiblingWithACommonPrefixIsNotIntoItself() throws Exception {
        open();
        fs.mkdir("/a", 0755, Caller.ROOT);
        fs.mkdir("/ab", 0755, Caller.ROOT);
        file("/a/f", "x");
        fs.rename("/a", "/ab/a", 0);
        assertThat(content("/ab/a/f")).isEqualTo("x");
    }

    @Test
    void openFileFollowsItsDirectoryThroughARename() throws Exception {
        open();
        fs.mkdir("/d", 0755, Caller.ROOT);
        long fh = fs.create("/d/f", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, Caller.ROOT);
        fs.write(fh, 0, ByteBuffer.wrap("abc".getBytes(StandardCharsets.UTF_8)));
        fs.rename("/d", "/e", 0);
        fs.write(fh, 3, ByteBuffer.wrap("def".getBytes(StandardCharsets.UTF_8)));
        fs.release(fh);
        assertThat(content("/e/f")).isEqualTo("abcdef");
    }

    @Test
    void readdirAtOffsetZeroSeesNewEntries() throws Exception {
        open();
        fs.mkdir("/d", 0755, Caller.ROOT);
        file("/d/one", "1");
        long dh = fs.opendir("/d");
        assertThat(fs.readdir(dh, 0, 100)).extracting(DirEntry::name).containsExactlyInAnyOrder(".", "..", "one");
        file("/d/two", "2");
        fs.unlink("/d/one");
        assertThat(fs.readdir(dh, 0, 100)).extracting(DirEntry::name).containsExactlyInAnyOrder(".", "..", "two");
        fs.releasedir(dh);
    }

    @Test
    void exactlyOneExclusiveCreatorWins() throws Exception {
        open();
        int threads = 8;
        int names = 100;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            AtomicInteger wins = new AtomicInteger();
            AtomicInteger exists = new AtomicInteger();
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> fs2 = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                fs2.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < names; i++) {
                        try {
                            long fh = fs.create("/f" + i, 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_EXCL,
                                    new Caller(1000 + id, 100, id));
                            wins.incrementAndGet();
                            fs.write(fh, 0, ByteBuffer.wrap(new byte[] {(byte) id}));
                            fs.release(fh);
                        } catch (FsException e) {
                            assertThat(e.errno()).isEqualTo(Errno.EEXIST);
                            exists.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : fs2) {
                f.get(60, TimeUnit.SECONDS);
            }
            assertThat(wins.get()).isEqualTo(names);
            assertThat(exists.get()).isEqualTo(names * (threads - 1));
            for (int i = 0; i < names; i++) {
                Attributes a = fs.getattr("/f" + i);
                assertThat(a.size()).isEqualTo(1);
                assertThat(a.uid() - 1000).isBetween(0, threads - 1);
            }
            assertThat(fs.inodeCount()).isEqualTo(names + 1);
        } finally {
            pool.shutdownNow();
        }
    }
}
