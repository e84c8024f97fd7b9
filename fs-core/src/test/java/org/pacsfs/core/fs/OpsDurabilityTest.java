package org.pacsfs.core.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of change survives a clean close + reopen (index trusted) and a crash + reopen (index rebuilt from the
 * write-log); orphans, fsync, name and path validation, and exclusive use of the state directory.
 */
class OpsDurabilityTest {
    static final int MIB = 1 << 20;

    @TempDir
    Path dir;
    final AtomicLong clock = new AtomicLong(1_700_000_000_000_000_000L);
    FsConfig cfg;
    LocalFileSystem fs;

    @BeforeEach
    void open() throws Exception {
        cfg = FsConfig.defaults(dir).withIndexSize(10_000, 100_000).withClock(() -> clock.addAndGet(1_000));
        fs = LocalFileSystem.open(cfg);
    }

    @AfterEach
    void close() throws Exception {
        if (fs != null) {
            fs.close();
        }
    }

    LocalFileSystem reopenClean() throws FsException {
        fs.close();
        fs = null;
        fs = LocalFileSystem.open(cfg);
        assertThat(fs.recoveryInfo().indexTrusted()).as("index trusted after a clean close").isTrue();
        return fs;
    }

    LocalFileSystem reopenAfterCrash() throws FsException {
        fs.crashForTesting();
        fs = null;
        fs = LocalFileSystem.open(cfg);
        assertThat(fs.recoveryInfo().indexTrusted()).as("index rebuilt after a crash").isFalse();
        return fs;
    }

    static void assertErrno(Errno expected, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(expected));
    }

    static ByteBuffer utf8(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    void file(String path, byte[] content) throws FsException {
        long fh = fs.create(path, 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, Caller.ROOT);
        fs.write(fh, 0, ByteBuffer.wrap(content));
        fs.release(fh);
    }

    byte[] readAll(String path) throws FsException {
        long fh = fs.open(path, OpenFlags.O_RDONLY);
        try {
            ByteBuffer b = ByteBuffer.allocate((int) fs.getattr(path).size());
            fs.read(fh, 0, b);
            return Arrays.copyOf(b.array(), b.position());
        } finally {
            fs.release(fh);
        }
    }

    /** The whole tree: every path with its attributes, content digest, link target, xattrs; and the totals. */
    Map<String, String> snapshot() throws Exception {
        Map<String, String> out = new TreeMap<>();
        walk("/", out);
        out.put("#bytesStored", Long.toString(fs.bytesStored()));
        out.put("#inodes", Long.toString(fs.inodeCount()));
        out.put("#statfs", fs.statfs().toString());
        return out;
    }

    private void walk(String path, Map<String, String> out) throws Exception {
        Attributes a = fs.getattr(path);
        StringBuilder s = new StringBuilder(a.toString());
        Map<String, String> x = new TreeMap<>();
        for (String name : fs.listxattr(path)) {
            x.put(name, HexFormat.of().formatHex(fs.getxattr(path, name)));
        }
        s.append(" xattrs=").append(x);
        switch (a.type()) {
            case REGULAR -> s.append(" sha=").append(HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(readAll(path))));
            case SYMLINK -> s.append(" target=").append(fs.readlink(path));
            case DIRECTORY -> {
                long dh = fs.opendir(path);
                try {
                    long off = 0;
                    while (true) {
                        List<DirEntry> page = fs.readdir(dh, off, 500);
                        if (page.isEmpty()) {
                            break;
                        }
                        for (DirEntry e : page) {
                            off = e.nextOffset();
                            if (e.name().equals("..")) {
                                s.append(" parent=").append(e.ino());
                            } else if (!e.name().equals(".")) {
                                walk(path.equals("/") ? "/" + e.name() : path + "/" + e.name(), out);
                            }
                        }
                    }
                } finally {
                    fs.releasedir(dh);
                }
            }
        }
        out.put(path, s.toString());
    }

    /** One of every kind of change. */
    void populate(String root) throws Exception {
        fs.mkdir(root, 0755, Caller.ROOT);
        fs.mkdir(root + "/a", 0750, new Caller(1000, 100, 1));
        fs.mkdir(root + "/a/b", 0755, Caller.ROOT);
        fs.mkdir(root + "/c", 0755, Caller.ROOT);
        file(root + "/empty", new byte[0]);
        long f1 = fs.create(root + "/a/f1", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_EXCL, new Caller(1000, 100, 1));
        fs.write(f1, 0, utf8("hello"));
        fs.write(f1, 2L * MIB + 5, utf8("tail")); // a hole over a whole block
        fs.release(f1);
        long f2 = fs.create(root + "/a/f2", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, Caller.ROOT);
        fs.write(f2, 0, ByteBuffer.wrap(random(3 * MIB, 1)));
        fs.write(f2, MIB - 100, ByteBuffer.wrap(random(5000, 2))); // overwrite across a block boundary
        fs.truncate(f2, MIB + MIB / 2);
        fs.truncate(f2, 2L * MIB + 10); // grown region is zeros
        fs.write(f2, 2L * MIB, utf8("x"));
        fs.release(f2);
        long app = fs.create(root + "/c/app", 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_APPEND, Caller.ROOT);
        fs.write(app, 0, utf8("one,"));
        fs.write(app, 0, utf8("two,"));
        fs.release(app);
        file(root + "/a/f3", random(10_000, 3));
        fs.release(fs.open(root + "/a/f3", OpenFlags.O_WRONLY | OpenFlags.O_TRUNC));
        fs.truncate(root + "/a/f3", 77);
        fs.link(root + "/a/f1", root + "/c/f1link");
        fs.symlink("../a/f1", root + "/c/sym", Caller.ROOT);
        fs.rename(root + "/a/b", root + "/c/b2", 0);
        file(root + "/c/b2/inner", utf8("inner").array());
        fs.rename(root + "/c/b2/inner", root + "/a/moved", 0);
        file(root + "/a/victim", utf8("gone").array());
        fs.unlink(root + "/a/victim");
        fs.mkdir(root + "/gone", 0755, Caller.ROOT);
        fs.rmdir(root + "/gone");
        file(root + "/c/replaced", utf8("old").array());
        file(root + "/c/replacer", utf8("new").array());
        fs.rename(root + "/c/replacer", root + "/c/replaced", 0);
        fs.mkdir(root + "/emptydir", 0755, Caller.ROOT);
        fs.mkdir(root + "/c/d2", 0755, Caller.ROOT);
        fs.rename(root + "/emptydir", root + "/c/d2", 0); // directory over an empty directory
        fs.chmod(root + "/a/f1", 0600);
        fs.chown(root + "/a/f2", 1000, 2000);
        fs.chown(root + "/a/f2", -1, 3000);
        fs.utimens(root + "/c/app", 123_456_789L, 987_654_321L);
        fs.utimens(root + "/a/moved", OpenFlags.UTIME_NOW, OpenFlags.UTIME_OMIT);
        fs.setxattr(root + "/a/f1", "user.k", utf8("v").array(), 0);
        fs.setxattr(root + "/a/f1", "user.gone", utf8("x").array(), 0);
        fs.removexattr(root + "/a/f1", "user.gone");
        fs.setxattr(root + "/c", "user.dir", new byte[1000], OpenFlags.XATTR_CREATE);
        fs.setxattr(root + "/c", "user.dir", utf8("replaced").array(), OpenFlags.XATTR_REPLACE);
        fs.chmod(root + "/c", 02775);
        fs.mkdir(root + "/c/sgid", 0755, new Caller(5, 6, 7));
    }

    // ------------------------------------------------------------------ survives reopen

    @Test
    void everyKindOfChangeSurvivesCleanReopenAndCrash() throws Exception {
        populate("/p");
        Map<String, String> before = snapshot();
        assertThat(before).containsKeys("/p/a/f1", "/p/c/f1link", "/p/c/sym", "/p/c/b2", "/p/a/moved", "/p/c/d2");
        assertThat(before).doesNotContainKeys("/p/a/victim", "/p/gone", "/p/c/replacer", "/p/emptydir", "/p/a/b");

        reopenClean();
        assertThat(snapshot()).isEqualTo(before);
        assertThat(fs.recoveryInfo().recordsReplayed()).isZero();

        reopenAfterCrash();
        assertThat(fs.recoveryInfo().recordsReplayed()).isPositive();
        assertThat(snapshot()).isEqualTo(before);

        // a second round of changes on the rebuilt index, then a crash straight after them
        populate("/q");
        fs.rename("/p/c", "/q/c-from-p", 0);
        fs.unlink("/p/a/f2");
        Map<String, String> after = snapshot();
        reopenAfterCrash();
        assertThat(snapshot()).isEqualTo(after);
        reopenClean();
        assertThat(snapshot()).isEqualTo(after);
    }

    @Test
    void crashStraightAfterChangesKeepsThemAll() throws Exception {
        populate("/p");
        Map<String, String> before = snapshot();
        reopenAfterCrash();
        assertThat(snapshot()).isEqualTo(before);
        reopenAfterCrash(); // replaying twice gives the same state
        assertThat(snapshot()).isEqualTo(before);
    }

    @Test
    void syncedChangesSurviveACrash() throws Exception {
        long fh = fs.create("/f", 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, Caller.ROOT);
        fs.write(fh, 0, utf8("synced"));
        fs.fsync(fh, false);
        fs.mkdir("/d", 0755, Caller.ROOT);
        long dh = fs.opendir("/");
        fs.fsyncdir(dh, false);
        fs.fsyncdir(dh, true);
        fs.releasedir(dh);
        fs.write(fh, 6, utf8("!"));
        fs.fsync(fh, true);
        fs.syncAll();
        reopenAfterCrash();
        assertThat(new String(readAll("/f"), StandardCharsets.UTF_8)).isEqualTo("synced!");
        assertThat(fs.getattr("/d").type()).isEqualTo(FileType.DIRECTORY);
    }

    @Test
    void fsyncAndFsyncdirOfStaleHandlesAreEbadf() throws Exception {
        long fh = fs.create("/f", 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, Caller.ROOT);
        long dh = fs.opendir("/");
        fs.release(fh);
        fs.releasedir(dh);
        assertErrno(Errno.EBADF, () -> fs.fsync(fh, false));
        assertErrno(Errno.EBADF, () -> fs.fsyncdir(dh, false));
        assertErrno(Errno.EBADF, () -> fs.fsyncdir(999_999, true));
    }

    @Test
    void fsyncOfAnUnlinkedOpenFileWorks() throws Exception {
        long fh = fs.create("/f", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, Caller.ROOT);
        fs.write(fh, 0, utf8("x"));
        fs.unlink("/f");
        fs.write(fh, 1, utf8("y"));
        fs.fsync(fh, false);
        fs.fsync(fh, true);
        fs.release(fh);
    }

    @Test
    void compactedBlockSurvivesReopenAndCrash() throws Exception {
        long fh = fs.create("/f", 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, Caller.ROOT);
        byte[] model = new byte[300 * 5];
        for (int i = 0; i < 300; i++) {
            byte[] piece = random(5, i);
            System.arraycopy(piece, 0, model, i * 5, 5);
            fs.write(fh, i * 5L, ByteBuffer.wrap(piece));
        }
        fs.release(fh);
        reopenClean();
        assertThat(readAll("/f")).isEqualTo(model);
        reopenAfterCrash();
        assertThat(readAll("/f")).isEqualTo(model);
    }

    java.util.Set<String> listing(String path) throws FsException {
        java.util.Set<String> out = new java.util.HashSet<>();
        long dh = fs.opendir(path);
        long off = 0;
        while (true) {
            List<DirEntry> page = fs.readdir(dh, off, 77);
            if (page.isEmpty()) {
                break;
            }
            for (DirEntry e : page) {
                off = e.nextOffset();
                if (!e.name().equals(".") && !e.name().equals("..")) {
                    assertThat(out.add(e.name())).as("duplicate " + e.name()).isTrue();
                }
            }
        }
        fs.releasedir(dh);
        return out;
    }

    @Test
    void directoryListingsSurviveManyRemovalsAndReopen() throws Exception {
        fs.mkdir("/d", 0755, Caller.ROOT);
        java.util.Set<String> model = new java.util.HashSet<>();
        for (int i = 0; i < 600; i++) {
            fs.release(fs.create("/d/f" + i, 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, Caller.ROOT));
            model.add("f" + i);
        }
        for (int i = 0; i < 600; i++) {
            if (i % 5 != 0) {
                fs.unlink("/d/f" + i);
                model.remove("f" + i);
            }
        }
        for (int i = 0; i < 50; i++) {
            fs.rename("/d/f" + (i * 5), "/d/r" + i, 0);
            model.remove("f" + (i * 5));
            model.add("r" + i);
            fs.release(fs.create("/d/n" + i, 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, Caller.ROOT));
            model.add("n" + i);
        }
        assertThat(listing("/d")).isEqualTo(model);
        for (int round = 0; round < 2; round++) {
            if (round == 0) {
                reopenAfterCrash();
            } else {
                reopenClean();
            }
            assertThat(listing("/d")).isEqualTo(model);
            for (String name : model) {
                fs.getattr("/d/" + name);
            }
            for (int i = 0; i < 100; i++) {
                String name = "m" + round + "-" + i;
                fs.release(fs.create("/d/" + name, 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, Caller.ROOT));
                model.add(name);
            }
            for (int i = 0; i < 20; i++) {
                fs.unlink("/d/n" + (round * 20 + i));
                model.remove("n" + (round * 20 + i));
            }
            assertThat(listing("/d")).isEqualTo(model);
        }
        reopenAfterCrash();
        assertThat(listing("/d")).isEqualTo(model);
        assertThat(fs.inodeCount()).isEqualTo(model.size() + 2);
    }

    // ------------------------------------------------------------------ orphans and inode numbers

    @Test
    void unlinkedButOpenFileIsGoneAfterACrash() throws Exception {
        file("/keep", utf8("keep").array());
        long fh = fs.create("/f", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, Caller.ROOT);
        fs.write(fh, 0, ByteBuffer.wrap(random(MIB, 4)));
        fs.setxattr("/f", "user.a", utf8("x").array(), 0);
        fs.unlink("/f");
        fs.write(fh, MIB, utf8("after unlink"));
        assertThat(fs.bytesStored()).isEqualTo(MIB + 12L + 4);
        long inodes = fs.inodeCount();
        reopenAfterCrash();
        assertThat(fs.recoveryInfo().orphansDeleted()).isEqualTo(1);
        assertThat(fs.bytesStored()).isEqualTo(4);
        assertThat(fs.inodeCount()).isEqualTo(inodes - 1);
        assertErrno(Errno.ENOENT, () -> fs.getattr("/f"));
        assertThat(fs.statfs().freeBlocks()).isEqualTo(fs.statfs().totalBlocks() - 1);
        // and it stays gone
        reopenAfterCrash();
        assertThat(fs.recoveryInfo().orphansDeleted()).isZero();
        assertThat(fs.bytesStored()).isEqualTo(4);
        reopenClean();
        assertThat(fs.inodeCount()).isEqualTo(inodes - 1);
    }

    @Test
    void unlinkedButOpenFileIsGoneAfterACleanClose() throws Exception {
        long fh = fs.create("/f", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, Caller.ROOT);
        fs.write(fh, 0, ByteBuffer.wrap(random(1000, 4)));
        fs.unlink("/f");
        long renamedOverOpen = fs.create("/g", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, Caller.ROOT);
        fs.write(renamedOverOpen, 0, utf8("old g"));
        file("/h", utf8("h").array());
        fs.rename("/h", "/g", 0);
        long inodesWithOrphans = fs.inodeCount();
        reopenClean(); // close releases the handles
        assertThat(fs.recoveryInfo().orphansDeleted()).isZero();
        assertThat(fs.bytesStored()).isEqualTo(1);
        assertThat(fs.inodeCount()).isEqualTo(inodesWithOrphans - 2);
        assertThat(readAll("/g")).containsExactly('h');
    }

    @Test
    void inodeNumbersAreNotReusedAfterReopen() throws Exception {
        file("/a", new byte[1]);
        file("/b", new byte[1]);
        long b = fs.getattr("/b").ino();
        fs.unlink("/b"); // the highest number is now unused
        reopenAfterCrash();
        file("/c", new byte[1]);
        long c = fs.getattr("/c").ino();
        assertThat(c).isGreaterThan(b);
        fs.unlink("/c");
        reopenClean();
        file("/d", new byte[1]);
        assertThat(fs.getattr("/d").ino()).isGreaterThan(c);
        fs.mkdir("/e", 0755, Caller.ROOT);
        assertThat(fs.getattr("/e").ino()).isGreaterThan(c);
    }

    // ------------------------------------------------------------------ names and paths

    @Test
    void namesOver255BytesAreEnametoolong() throws Exception {
        String ok = "é".repeat(127) + "a"; // 255 bytes of UTF-8
        String tooLong = "é".repeat(128); // 256 bytes, 128 characters
        String tooLongAscii = "n".repeat(256);
        assertThat(ok.getBytes(StandardCharsets.UTF_8)).hasSize(255);
        file("/f", new byte[3]);
        fs.mkdir("/d", 0755, Caller.ROOT);
        for (String bad : List.of(tooLong, tooLongAscii)) {
            assertErrno(Errno.ENAMETOOLONG, () -> fs.mkdir("/" + bad, 0755, Caller.ROOT));
            assertErrno(Errno.ENAMETOOLONG, () -> fs.create("/" + bad, 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, Caller.ROOT));
            assertErrno(Errno.ENAMETOOLONG, () -> fs.create("/d/" + bad, 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_EXCL, Caller.ROOT));
            assertErrno(Errno.ENAMETOOLONG, () -> fs.symlink("/f", "/" + bad, Caller.ROOT));
            assertErrno(Errno.ENAMETOOLONG, () -> fs.link("/f", "/" + bad));
            assertErrno(Errno.ENAMETOOLONG, () -> fs.rename("/f", "/d/" + bad, 0));
            assertErrno(Errno.ENAMETOOLONG, () -> fs.getattr("/" + bad));
            assertErrno(Errno.ENAMETOOLONG, () -> fs.getattr("/" + bad + "/x"));
            assertErrno(Errno.ENAMETOOLONG, () -> fs.unlink("/" + bad));
        }
        fs.mkdir("/" + ok, 0755, Caller.ROOT);
        file("/" + ok + "/" + ok, utf8("deep").array());
        fs.rename("/f", "/d/" + ok, 0);
        reopenAfterCrash();
        assertThat(new String(readAll("/" + ok + "/" + ok), StandardCharsets.UTF_8)).isEqualTo("deep");
        assertThat(fs.getattr("/d/" + ok).size()).isEqualTo(3);
        assertErrno(Errno.ENAMETOOLONG, () -> fs.getattr("/" + "a/".repeat(2100)));
    }

    @Test
    void invalidPathsAreEinval() throws Exception {
        fs.mkdir("/a", 0755, Caller.ROOT);
        file("/a/f", new byte[1]);
        for (String bad : new String[] {"", "relative", "a/f", "/a/./f", "/a/../a/f", "/.", "/..", "/a/.", "/a/f\0x"}) {
            assertErrno(Errno.EINVAL, () -> fs.getattr(bad));
            assertErrno(Errno.EINVAL, () -> fs.mkdir(bad, 0755, Caller.ROOT));
            assertErrno(Errno.EINVAL, () -> fs.create(bad, 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, Caller.ROOT));
            assertErrno(Errno.EINVAL, () -> fs.unlink(bad));
            assertErrno(Errno.EINVAL, () -> fs.rename("/a/f", bad, 0));
            assertErrno(Errno.EINVAL, () -> fs.rename(bad, "/a/g", 0));
            assertErrno(Errno.EINVAL, () -> fs.open(bad, OpenFlags.O_RDONLY));
        }
        assertErrno(Errno.EINVAL, () -> fs.getattr(null));
        assertErrno(Errno.EINVAL, () -> fs.rename("/", "/x", 0));
        assertErrno(Errno.EINVAL, () -> fs.rename("/a", "/", 0));
        assertThat(fs.getattr("/a/f").size()).isEqualTo(1);
    }

    // ------------------------------------------------------------------ exclusive use, closed filesystem

    @Test
    void aSecondOpenOfTheSameStateDirectoryFailsClearly() throws Exception {
        fs.mkdir("/before", 0755, Caller.ROOT);
        assertThatThrownBy(() -> LocalFileSystem.open(cfg).close())
                .isInstanceOfSatisfying(FsException.class, e -> {
                    assertThat(e.errno()).isEqualTo(Errno.EIO);
                    assertThat(e.getMessage()).isNotBlank();
                });
        // the first instance is unharmed
        fs.mkdir("/after", 0755, Caller.ROOT);
        file("/after/f", utf8("data").array());
        reopenClean();
        assertThat(fs.getattr("/before").type()).isEqualTo(FileType.DIRECTORY);
        assertThat(new String(readAll("/after/f"), StandardCharsets.UTF_8)).isEqualTo("data");
    }

    @Test
    void closeIsIdempotentAndAClosedFilesystemRefusesWork() throws Exception {
        file("/f", new byte[1]);
        LocalFileSystem closed = fs;
        closed.close();
        closed.close();
        fs = null;
        assertErrno(Errno.EIO, () -> closed.mkdir("/d", 0755, Caller.ROOT));
        assertErrno(Errno.EIO, () -> closed.create("/g", 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, Caller.ROOT));
        assertErrno(Errno.EIO, () -> closed.getattr("/f"));
        fs = LocalFileSystem.open(cfg);
        assertThat(fs.recoveryInfo().indexTrusted()).isTrue();
        assertThat(fs.getattr("/f").size()).isEqualTo(1);
        assertErrno(Errno.ENOENT, () -> fs.getattr("/d"));
    }
}
