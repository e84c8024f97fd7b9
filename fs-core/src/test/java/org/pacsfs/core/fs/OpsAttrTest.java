package org.pacsfs.core.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** getattr, chmod, chown, utimens, access, extended attributes, statfs, and the times operations set. */
class OpsAttrTest {
    static final long T0 = 1_700_000_000_000_000_000L;
    static final long CAPACITY = 64L << 20;

    @TempDir
    Path dir;
    final AtomicLong clock = new AtomicLong(T0);
    LocalFileSystem fs;

    @BeforeEach
    void open() throws Exception {
        fs = LocalFileSystem.open(FsConfig.defaults(dir).withIndexSize(10_000, 100_000).withCapacityBytes(CAPACITY)
                .withClock(clock::get));
    }

    @AfterEach
    void close() throws Exception {
        fs.close();
    }

    static void assertErrno(Errno expected, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(expected));
    }

    /** Advances the injected clock and returns the new time. */
    long tick() {
        return clock.addAndGet(1_000_000_007L);
    }

    void file(String path, int bytes) throws FsException {
        long fh = fs.create(path, 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, Caller.ROOT);
        fs.write(fh, 0, ByteBuffer.allocate(bytes));
        fs.release(fh);
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ getattr

    @Test
    void rootAttributes() throws Exception {
        Attributes root = fs.getattr("/");
        assertThat(root.type()).isEqualTo(FileType.DIRECTORY);
        assertThat(root.mode()).isEqualTo(0040755);
        assertThat(root.permissions()).isEqualTo(0755);
        assertThat(root.nlink()).isEqualTo(2);
        assertThat(root.uid()).isZero();
        assertThat(root.gid()).isZero();
        assertThat(root.size()).isEqualTo(4096);
        assertThat(root.mtimeNs()).isEqualTo(T0);
    }

    @Test
    void rootOwnerAndModeComeFromTheConfig(@TempDir Path other) throws Exception {
        try (LocalFileSystem f2 = LocalFileSystem.open(FsConfig.defaults(other).withIndexSize(10_000, 100_000).withRoot(1000, 2000, 0770))) {
            Attributes root = f2.getattr("/");
            assertThat(root.mode()).isEqualTo(0040770);
            assertThat(root.uid()).isEqualTo(1000);
            assertThat(root.gid()).isEqualTo(2000);
        }
    }

    @Test
    void typesModesAndSizes() throws Exception {
        file("/f", 12345);
        fs.mkdir("/d", 0700, Caller.ROOT);
        fs.symlink("ziel/äöü", "/s", Caller.ROOT);
        Attributes f = fs.getattr("/f");
        assertThat(f.type()).isEqualTo(FileType.REGULAR);
        assertThat(f.mode()).isEqualTo(0100644);
        assertThat(f.size()).isEqualTo(12345);
        assertThat(f.blocks512()).isEqualTo((12345 + 511) / 512);
        assertThat(f.nlink()).isEqualTo(1);
        Attributes d = fs.getattr("/d");
        assertThat(d.mode()).isEqualTo(0040700);
        assertThat(d.size()).isEqualTo(4096);
        Attributes s = fs.getattr("/s");
        assertThat(s.mode()).isEqualTo(0120777);
        assertThat(s.size()).isEqualTo(b("ziel/äöü").length);
        assertThat(f.ino()).isNotIn(d.ino(), s.ino(), fs.getattr("/").ino());
        assertThat(d.ino()).isNotEqualTo(s.ino());
        // mode bits beyond 07777 passed to create/mkdir are not taken as the type
        long fh = fs.create("/g", 0104755, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, Caller.ROOT);
        fs.release(fh);
        assertThat(fs.getattr("/g").mode()).isEqualTo(0104755);
        fs.mkdir("/e", 0041777, Caller.ROOT);
        assertThat(fs.getattr("/e").mode()).isEqualTo(0041777);
    }

    @Test
    void directoryNlinkIsTwoPlusSubdirectories() throws Exception {
        fs.mkdir("/d", 0755, Caller.ROOT);
        assertThat(fs.getattr("/d").nlink()).isEqualTo(2);
        fs.mkdir("/d/a", 0755, Caller.ROOT);
        fs.mkdir("/d/b", 0755, Caller.ROOT);
        file("/d/f", 1);
        fs.symlink("x", "/d/s", Caller.ROOT);
        assertThat(fs.getattr("/d").nlink()).isEqualTo(4);
        assertThat(fs.getattr("/").nlink()).isEqualTo(3);
        fs.rmdir("/d/a");
        assertThat(fs.getattr("/d").nlink()).isEqualTo(3);
        fs.rename("/d/b", "/b", 0);
        assertThat(fs.getattr("/d").nlink()).isEqualTo(2);
        assertThat(fs.getattr("/").nlink()).isEqualTo(4);
    }

    @Test
    void inodeNumbersAreNotReused() throws Exception {
        file("/a", 1);
        long a = fs.getattr("/a").ino();
        fs.unlink("/a");
        file("/b", 1);
        fs.mkdir("/c", 0755, Caller.ROOT);
        assertThat(fs.getattr("/b").ino()).isNotEqualTo(a);
        assertThat(fs.getattr("/c").ino()).isNotEqualTo(a);
    }

    @Test
    void ownersComeFromTheCallerAndSetgidDirectoriesPassOnTheirGroup() throws Exception {
        Caller alice = new Caller(1000, 100, 1);
        Caller bob = new Caller(1001, 101, 2);
        fs.mkdir("/plain", 0777, alice);
        long fh = fs.create("/plain/f", 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, bob);
        fs.release(fh);
        assertThat(fs.getattr("/plain").uid()).isEqualTo(1000);
        assertThat(fs.getattr("/plain").gid()).isEqualTo(100);
        assertThat(fs.getattr("/plain/f").uid()).isEqualTo(1001);
        assertThat(fs.getattr("/plain/f").gid()).isEqualTo(101);

        fs.mkdir("/sg", 0777, alice);
        fs.chmod("/sg", 02775);
        fs.chown("/sg", -1, 500);
        long g = fs.create("/sg/f", 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, bob);
        fs.release(g);
        fs.mkdir("/sg/sub", 0755, bob);
        fs.symlink("t", "/sg/s", bob);
        assertThat(fs.getattr("/sg/f").gid()).isEqualTo(500);
        assertThat(fs.getattr("/sg/f").uid()).isEqualTo(1001);
        assertThat(fs.getattr("/sg/f").mode()).isEqualTo(0100644); // files do not get the setgid bit
        assertThat(fs.getattr("/sg/sub").gid()).isEqualTo(500);
        assertThat(fs.getattr("/sg/sub").mode()).isEqualTo(0042755); // subdirectories inherit it
        assertThat(fs.getattr("/sg/s").gid()).isEqualTo(500);
        fs.mkdir("/sg/sub/deeper", 0700, alice);
        assertThat(fs.getattr("/sg/sub/deeper").gid()).isEqualTo(500);
        assertThat(fs.getattr("/sg/sub/deeper").mode()).isEqualTo(0042700);
    }

    @Test
    void getattrOfAHandleAndErrors() throws Exception {
        long fh = fs.create("/f", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, Caller.ROOT);
        fs.write(fh, 0, ByteBuffer.allocate(10));
        assertThat(fs.getattr(fh)).isEqualTo(fs.getattr("/f"));
        fs.release(fh);
        assertErrno(Errno.ENOENT, () -> fs.getattr("/missing"));
        assertErrno(Errno.ENOTDIR, () -> fs.getattr("/f/x"));
        assertErrno(Errno.EBADF, () -> fs.getattr(fh));
    }

    // ------------------------------------------------------------------ chmod, chown, utimens

    @Test
    void chmodChangesPermissionsAndCtimeOnly() throws Exception {
        file("/f", 3);
        fs.mkdir("/d", 0755, Caller.ROOT);
        Attributes before = fs.getattr("/f");
        long t = tick();
        fs.chmod("/f", 0600);
        Attributes after = fs.getattr("/f");
        assertThat(after.mode()).isEqualTo(0100600);
        assertThat(after.ctimeNs()).isEqualTo(t);
        assertThat(after.mtimeNs()).isEqualTo(before.mtimeNs());
        assertThat(after.atimeNs()).isEqualTo(before.atimeNs());
        assertThat(after.size()).isEqualTo(3);
        fs.chmod("/f", 06755);
        assertThat(fs.getattr("/f").mode()).isEqualTo(0106755);
        fs.chmod("/f", 0040644); // type bits in the argument are ignored
        assertThat(fs.getattr("/f").mode()).isEqualTo(0100644);
        fs.chmod("/d", 01777);
        assertThat(fs.getattr("/d").mode()).isEqualTo(0041777);
        fs.chmod("/", 0700);
        assertThat(fs.getattr("/").mode()).isEqualTo(0040700);
        assertErrno(Errno.ENOENT, () -> fs.chmod("/missing", 0644));
        assertErrno(Errno.ENOTDIR, () -> fs.chmod("/f/x", 0644));
    }

    @Test
    void chownWithMinusOneKeepsThatId() throws Exception {
        file("/f", 1);
        long t = tick();
        fs.chown("/f", 1000, -1);
        assertThat(fs.getattr("/f").uid()).isEqualTo(1000);
        assertThat(fs.getattr("/f").gid()).isZero();
        assertThat(fs.getattr("/f").ctimeNs()).isEqualTo(t);
        fs.chown("/f", -1, 2000);
        assertThat(fs.getattr("/f").uid()).isEqualTo(1000);
        assertThat(fs.getattr("/f").gid()).isEqualTo(2000);
        fs.chown("/f", -1, -1);
        assertThat(fs.getattr("/f").uid()).isEqualTo(1000);
        assertThat(fs.getattr("/f").gid()).isEqualTo(2000);
        fs.chown("/f", 0, 0);
        assertThat(fs.getattr("/f").uid()).isZero();
        assertThat(fs.getattr("/f").gid()).isZero();
        fs.symlink("t", "/s", Caller.ROOT);
        fs.chown("/s", 5, 6); // lchown: the link itself
        assertThat(fs.getattr("/s").uid()).isEqualTo(5);
        assertThat(fs.getattr("/f").uid()).isZero();
        assertErrno(Errno.ENOENT, () -> fs.chown("/missing", 1, 1));
    }

    @Test
    void utimensSetsOmitsAndUsesNow() throws Exception {
        file("/f", 1);
        long created = fs.getattr("/f").mtimeNs();
        long t1 = tick();
        fs.utimens("/f", 111_000_000_123L, 222_000_000_456L);
        Attributes a = fs.getattr("/f");
        assertThat(a.atimeNs()).isEqualTo(111_000_000_123L);
        assertThat(a.mtimeNs()).isEqualTo(222_000_000_456L);
        assertThat(a.ctimeNs()).isEqualTo(t1);
        long t2 = tick();
        fs.utimens("/f", OpenFlags.UTIME_NOW, OpenFlags.UTIME_OMIT);
        a = fs.getattr("/f");
        assertThat(a.atimeNs()).isEqualTo(t2);
        assertThat(a.mtimeNs()).isEqualTo(222_000_000_456L);
        assertThat(a.ctimeNs()).isEqualTo(t2);
        long t3 = tick();
        fs.utimens("/f", OpenFlags.UTIME_OMIT, OpenFlags.UTIME_NOW);
        a = fs.getattr("/f");
        assertThat(a.atimeNs()).isEqualTo(t2);
        assertThat(a.mtimeNs()).isEqualTo(t3);
        tick();
        fs.utimens("/f", OpenFlags.UTIME_NOW, OpenFlags.UTIME_NOW);
        assertThat(fs.getattr("/f").mtimeNs()).isEqualTo(clock.get()).isNotEqualTo(created);
        fs.mkdir("/d", 0755, Caller.ROOT);
        fs.utimens("/d", 5, 6);
        assertThat(fs.getattr("/d").atimeNs()).isEqualTo(5);
        assertThat(fs.getattr("/d").mtimeNs()).isEqualTo(6);
        fs.utimens("/f", 0, 0); // the epoch itself is a valid time
        assertThat(fs.getattr("/f").mtimeNs()).isZero();
        assertErrno(Errno.ENOENT, () -> fs.utimens("/missing", 1, 1));
    }

    // ------------------------------------------------------------------ access

    @Test
    void accessFollowsOwnerGroupOtherClasses() throws Exception {
        Caller owner = new Caller(1000, 100, 1);
        Caller groupMate = new Caller(1001, 100, 2);
        Caller other = new Caller(1002, 102, 3);
        long fh = fs.create("/f", 0640, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, owner);
        fs.release(fh);
        fs.access("/f", OpenFlags.F_OK, other);
        fs.access("/f", OpenFlags.R_OK | OpenFlags.W_OK, owner);
        assertErrno(Errno.EACCES, () -> fs.access("/f", OpenFlags.X_OK, owner));
        fs.access("/f", OpenFlags.R_OK, groupMate);
        assertErrno(Errno.EACCES, () -> fs.access("/f", OpenFlags.W_OK, groupMate));
        assertErrno(Errno.EACCES, () -> fs.access("/f", OpenFlags.R_OK, other));
        // the class is chosen first: a group member gets the group bits even where "other" grants more
        fs.chmod("/f", 0604);
        assertErrno(Errno.EACCES, () -> fs.access("/f", OpenFlags.R_OK, groupMate));
        fs.access("/f", OpenFlags.R_OK, other);
        // and the owner gets the owner bits
        fs.chmod("/f", 0066);
        assertErrno(Errno.EACCES, () -> fs.access("/f", OpenFlags.R_OK, owner));
        fs.access("/f", OpenFlags.R_OK | OpenFlags.W_OK, groupMate);
        fs.chmod("/f", 0751);
        fs.access("/f", OpenFlags.R_OK | OpenFlags.W_OK | OpenFlags.X_OK, owner);
        fs.access("/f", OpenFlags.R_OK | OpenFlags.X_OK, groupMate);
        fs.access("/f", OpenFlags.X_OK, other);
        assertErrno(Errno.EACCES, () -> fs.access("/f", OpenFlags.R_OK | OpenFlags.X_OK, other));
        assertErrno(Errno.ENOENT, () -> fs.access("/missing", OpenFlags.F_OK, owner));
    }

    @Test
    void accessForRoot() throws Exception {
        file("/f", 1);
        fs.chmod("/f", 0000);
        fs.access("/f", OpenFlags.R_OK | OpenFlags.W_OK, Caller.ROOT);
        assertErrno(Errno.EACCES, () -> fs.access("/f", OpenFlags.X_OK, Caller.ROOT));
        fs.chmod("/f", 0001); // any x bit lets root execute
        fs.access("/f", OpenFlags.X_OK | OpenFlags.R_OK, Caller.ROOT);
        fs.mkdir("/d", 0000, Caller.ROOT);
        fs.access("/d", OpenFlags.R_OK | OpenFlags.W_OK | OpenFlags.X_OK, Caller.ROOT); // directories: always searchable
        assertErrno(Errno.EACCES, () -> fs.access("/d", OpenFlags.X_OK, new Caller(0x1234, 0x1234, 1)));
    }

    // ------------------------------------------------------------------ extended attributes

    @Test
    void xattrSetGetListRemove() throws Exception {
        file("/f", 1);
        assertThat(fs.listxattr("/f")).isEmpty();
        long t = tick();
        fs.setxattr("/f", "user.b", b("two"), 0);
        assertThat(fs.getattr("/f").ctimeNs()).isEqualTo(t);
        fs.setxattr("/f", "user.a", b("one"), 0);
        fs.setxattr("/f", "trusted.t", new byte[0], 0);
        fs.setxattr("/f", "security.selinux", b("ctx"), 0);
        assertThat(fs.getxattr("/f", "user.a")).isEqualTo(b("one"));
        assertThat(fs.getxattr("/f", "trusted.t")).isEmpty();
        assertThat(fs.listxattr("/f")).containsExactlyInAnyOrder("user.a", "user.b", "trusted.t", "security.selinux");
        fs.setxattr("/f", "user.a", b("uno"), 0); // flags 0 replaces
        assertThat(fs.getxattr("/f", "user.a")).isEqualTo(b("uno"));
        // the returned value is a copy
        byte[] got = fs.getxattr("/f", "user.a");
        got[0] = 'X';
        assertThat(fs.getxattr("/f", "user.a")).isEqualTo(b("uno"));
        fs.removexattr("/f", "user.a");
        assertErrno(Errno.ENODATA, () -> fs.getxattr("/f", "user.a"));
        assertThat(fs.listxattr("/f")).containsExactlyInAnyOrder("user.b", "trusted.t", "security.selinux");
        // on directories and other names of the same inode
        fs.mkdir("/d", 0755, Caller.ROOT);
        fs.setxattr("/d", "user.dir", b("yes"), 0);
        assertThat(fs.getxattr("/d", "user.dir")).isEqualTo(b("yes"));
        fs.link("/f", "/g");
        assertThat(fs.getxattr("/g", "user.b")).isEqualTo(b("two"));
        // a new file with a reused name starts without attributes
        fs.unlink("/f");
        fs.unlink("/g");
        file("/f", 1);
        assertThat(fs.listxattr("/f")).isEmpty();
    }

    @Test
    void xattrCreateAndReplaceFlags() throws Exception {
        file("/f", 1);
        assertErrno(Errno.ENODATA, () -> fs.setxattr("/f", "user.x", b("v"), OpenFlags.XATTR_REPLACE));
        assertThat(fs.listxattr("/f")).isEmpty();
        fs.setxattr("/f", "user.x", b("v1"), OpenFlags.XATTR_CREATE);
        assertErrno(Errno.EEXIST, () -> fs.setxattr("/f", "user.x", b("v2"), OpenFlags.XATTR_CREATE));
        assertThat(fs.getxattr("/f", "user.x")).isEqualTo(b("v1"));
        fs.setxattr("/f", "user.x", b("v3"), OpenFlags.XATTR_REPLACE);
        assertThat(fs.getxattr("/f", "user.x")).isEqualTo(b("v3"));
    }

    @Test
    void xattrErrors() throws Exception {
        file("/f", 1);
        assertErrno(Errno.ENODATA, () -> fs.getxattr("/f", "user.none"));
        assertErrno(Errno.ENODATA, () -> fs.removexattr("/f", "user.none"));
        assertErrno(Errno.ENOTSUP, () -> fs.setxattr("/f", "system.posix_acl_access", b("x"), 0));
        assertErrno(Errno.ENOTSUP, () -> fs.setxattr("/f", "foo.bar", b("x"), 0));
        assertErrno(Errno.ENOTSUP, () -> fs.removexattr("/f", "system.posix_acl_access"));
        assertErrno(Errno.ERANGE, () -> fs.setxattr("/f", "user." + "n".repeat(251), b("x"), 0));
        assertErrno(Errno.ERANGE, () -> fs.setxattr("/f", "", b("x"), 0));
        fs.setxattr("/f", "user." + "n".repeat(250), b("x"), 0); // 255 bytes: allowed
        assertErrno(Errno.E2BIG, () -> fs.setxattr("/f", "user.big", new byte[64 * 1024 + 1], 0));
        assertErrno(Errno.ENOENT, () -> fs.setxattr("/missing", "user.a", b("x"), 0));
        assertErrno(Errno.ENOENT, () -> fs.getxattr("/missing", "user.a"));
        assertErrno(Errno.ENOENT, () -> fs.listxattr("/missing"));
        assertErrno(Errno.ENOENT, () -> fs.removexattr("/missing", "user.a"));
        assertThat(fs.listxattr("/f")).containsExactly("user." + "n".repeat(250));
    }

    @Test
    void xattrTotalSizeIsLimited() throws Exception {
        file("/f", 1);
        fs.setxattr("/f", "user.a", new byte[30_000], 0);
        fs.setxattr("/f", "user.b", new byte[30_000], 0);
        assertErrno(Errno.ENOSPC, () -> fs.setxattr("/f", "user.c", new byte[10_000], 0));
        assertErrno(Errno.ENOSPC, () -> fs.setxattr("/f", "user.b", new byte[36_000], 0));
        assertThat(fs.listxattr("/f")).containsExactlyInAnyOrder("user.a", "user.b");
        assertThat(fs.getxattr("/f", "user.b")).hasSize(30_000);
        fs.removexattr("/f", "user.a");
        fs.setxattr("/f", "user.c", new byte[30_000], 0);
        assertThat(fs.listxattr("/f")).containsExactlyInAnyOrder("user.b", "user.c");
        // other files have their own budget
        file("/g", 1);
        fs.setxattr("/g", "user.a", new byte[60_000], 0);
    }

    // ------------------------------------------------------------------ statfs

    @Test
    void statfsFigures() throws Exception {
        StatFs s = fs.statfs();
        assertThat(s.blockSize()).isEqualTo(4096);
        assertThat(s.totalBlocks()).isEqualTo(CAPACITY / 4096);
        assertThat(s.freeBlocks()).isEqualTo(CAPACITY / 4096);
        assertThat(s.availableBlocks()).isEqualTo(s.freeBlocks());
        assertThat(s.maxNameLength()).isEqualTo(255);
        assertThat(s.totalFiles()).isEqualTo(100_000);
        long freeFiles = s.freeFiles();
        assertThat(freeFiles).isEqualTo(100_000 - 1); // the root
        file("/f", 1 << 20);
        fs.mkdir("/d", 0755, Caller.ROOT);
        s = fs.statfs();
        assertThat(s.freeBlocks()).isEqualTo(CAPACITY / 4096 - 256);
        assertThat(s.availableBlocks()).isEqualTo(s.freeBlocks());
        assertThat(s.freeFiles()).isEqualTo(freeFiles - 2);
        assertThat(fs.bytesStored()).isEqualTo(1 << 20);
        // sparse bytes count as stored (a conservative figure)
        long fh = fs.open("/f", OpenFlags.O_WRONLY);
        fs.truncate(fh, 3L << 20);
        fs.release(fh);
        assertThat(fs.statfs().freeBlocks()).isEqualTo(CAPACITY / 4096 - 768);
        fs.unlink("/f");
        fs.rmdir("/d");
        assertThat(fs.statfs().freeBlocks()).isEqualTo(CAPACITY / 4096);
        assertThat(fs.statfs().freeFiles()).isEqualTo(freeFiles);
    }

    // ------------------------------------------------------------------ times set by namespace and data operations

    @Test
    void createAndMkdirSetTheParentsTimes() throws Exception {
        fs.mkdir("/d", 0755, Caller.ROOT);
        long t1 = tick();
        long fh = fs.create("/d/f", 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, Caller.ROOT);
        fs.release(fh);
        assertThat(fs.getattr("/d").mtimeNs()).isEqualTo(t1);
        assertThat(fs.getattr("/d").ctimeNs()).isEqualTo(t1);
        Attributes f = fs.getattr("/d/f");
        assertThat(f.atimeNs()).isEqualTo(t1);
        assertThat(f.mtimeNs()).isEqualTo(t1);
        assertThat(f.ctimeNs()).isEqualTo(t1);
        long t2 = tick();
        fs.mkdir("/d/e", 0755, Caller.ROOT);
        assertThat(fs.getattr("/d").mtimeNs()).isEqualTo(t2);
        assertThat(fs.getattr("/d").ctimeNs()).isEqualTo(t2);
        assertThat(fs.getattr("/d/e").mtimeNs()).isEqualTo(t2);
        long t3 = tick();
        fs.symlink("x", "/d/s", Caller.ROOT);
        assertThat(fs.getattr("/d").mtimeNs()).isEqualTo(t3);
        assertThat(fs.getattr("/d/s").ctimeNs()).isEqualTo(t3);
        long t4 = tick();
        fs.link("/d/f", "/d/g");
        assertThat(fs.getattr("/d").mtimeNs()).isEqualTo(t4);
        assertThat(fs.getattr("/d/f").ctimeNs()).isEqualTo(t4);
        assertThat(fs.getattr("/d/f").mtimeNs()).isEqualTo(t1);
        // creating an existing file without O_EXCL changes nothing
        tick();
        fs.release(fs.create("/d/f", 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, Caller.ROOT));
        assertThat(fs.getattr("/d").mtimeNs()).isEqualTo(t4);
        // the grandparent is not touched
        assertThat(fs.getattr("/").mtimeNs()).isLessThan(t1);
    }

    @Test
    void unlinkAndRmdirSetTheParentsTimes() throws Exception {
        fs.mkdir("/d", 0755, Caller.ROOT);
        file("/d/f", 1);
        fs.link("/d/f", "/d/g");
        fs.mkdir("/d/e", 0755, Caller.ROOT);
        long t1 = tick();
        fs.unlink("/d/f");
        assertThat(fs.getattr("/d").mtimeNs()).isEqualTo(t1);
        assertThat(fs.getattr("/d").ctimeNs()).isEqualTo(t1);
        assertThat(fs.getattr("/d/g").ctimeNs()).isEqualTo(t1); // lost a link
        assertThat(fs.getattr("/d/g").mtimeNs()).isLessThan(t1);
        long t2 = tick();
        fs.rmdir("/d/e");
        assertThat(fs.getattr("/d").mtimeNs()).isEqualTo(t2);
        assertThat(fs.getattr("/d").ctimeNs()).isEqualTo(t2);
    }

    @Test
    void renameSetsBothParentsTimesAndTheMovedInodesCtime() throws Exception {
        fs.mkdir("/a", 0755, Caller.ROOT);
        fs.mkdir("/b", 0755, Caller.ROOT);
        file("/a/f", 5);
        long fMtime = fs.getattr("/a/f").mtimeNs();
        long rootMtime = fs.getattr("/").mtimeNs();
        long t = tick();
        fs.rename("/a/f", "/b/g", 0);
        assertThat(fs.getattr("/a").mtimeNs()).isEqualTo(t);
        assertThat(fs.getattr("/a").ctimeNs()).isEqualTo(t);
        assertThat(fs.getattr("/b").mtimeNs()).isEqualTo(t);
        assertThat(fs.getattr("/b").ctimeNs()).isEqualTo(t);
        assertThat(fs.getattr("/b/g").ctimeNs()).isEqualTo(t);
        assertThat(fs.getattr("/b/g").mtimeNs()).isEqualTo(fMtime);
        assertThat(fs.getattr("/").mtimeNs()).isEqualTo(rootMtime);
        long t2 = tick();
        fs.rename("/b/g", "/b/h", 0);
        assertThat(fs.getattr("/b").mtimeNs()).isEqualTo(t2);
        assertThat(fs.getattr("/a").mtimeNs()).isEqualTo(t);
        // a failed rename changes no times
        tick();
        assertErrno(Errno.ENOENT, () -> fs.rename("/a/none", "/b/x", 0));
        assertThat(fs.getattr("/b").mtimeNs()).isEqualTo(t2);
    }

    @Test
    void writeAndTruncateSetMtimeAndCtime() throws Exception {
        long fh = fs.create("/f", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, Caller.ROOT);
        long dirMtime = fs.getattr("/").mtimeNs();
        long t1 = tick();
        fs.write(fh, 0, ByteBuffer.allocate(100));
        assertThat(fs.getattr("/f").mtimeNs()).isEqualTo(t1);
        assertThat(fs.getattr("/f").ctimeNs()).isEqualTo(t1);
        long t2 = tick();
        fs.write(fh, 10, ByteBuffer.allocate(10)); // overwrite without growth
        assertThat(fs.getattr("/f").mtimeNs()).isEqualTo(t2);
        long t3 = tick();
        fs.truncate("/f", 50);
        assertThat(fs.getattr("/f").mtimeNs()).isEqualTo(t3);
        assertThat(fs.getattr("/f").ctimeNs()).isEqualTo(t3);
        long t4 = tick();
        fs.truncate(fh, 70);
        assertThat(fs.getattr("/f").mtimeNs()).isEqualTo(t4);
        tick();
        fs.read(fh, 0, ByteBuffer.allocate(10));
        assertThat(fs.getattr("/f").mtimeNs()).isEqualTo(t4);
        assertThat(fs.getattr("/").mtimeNs()).isEqualTo(dirMtime);
        fs.release(fh);
    }
}
