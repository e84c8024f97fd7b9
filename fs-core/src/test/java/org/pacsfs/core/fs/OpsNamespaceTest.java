package org.pacsfs.core.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** mkdir, rmdir, create, unlink, rename, link, symlink, readlink, opendir/readdir: results and every error. */
class OpsNamespaceTest {
    @TempDir
    Path dir;
    LocalFileSystem fs;

    @BeforeEach
    void open() throws Exception {
        fs = LocalFileSystem.open(FsConfig.defaults(dir).withIndexSize(10_000, 100_000));
    }

    @AfterEach
    void close() throws Exception {
        fs.close();
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

    List<String> names(String path) throws FsException {
        long dh = fs.opendir(path);
        try {
            List<String> out = new ArrayList<>();
            long off = 0;
            while (true) {
                List<DirEntry> page = fs.readdir(dh, off, 1000);
                if (page.isEmpty()) {
                    return out;
                }
                for (DirEntry e : page) {
                    if (!e.name().equals(".") && !e.name().equals("..")) {
                        out.add(e.name());
                    }
                    off = e.nextOffset();
                }
            }
        } finally {
            fs.releasedir(dh);
        }
    }

    // ------------------------------------------------------------------ mkdir

    @Test
    void mkdirCreatesAnEmptyDirectory() throws Exception {
        Attributes a = fs.mkdir("/d", 0750, Caller.ROOT);
        assertThat(a.type()).isEqualTo(FileType.DIRECTORY);
        assertThat(a.mode()).isEqualTo(0040750);
        assertThat(a.nlink()).isEqualTo(2);
        assertThat(fs.getattr("/d")).isEqualTo(a);
        assertThat(names("/d")).isEmpty();
        assertThat(names("/")).containsExactly("d");
        fs.mkdir("/d/e", 0755, Caller.ROOT);
        assertThat(fs.getattr("/d/e").type()).isEqualTo(FileType.DIRECTORY);
    }

    @Test
    void mkdirErrors() throws Exception {
        fs.mkdir("/d", 0755, Caller.ROOT);
        file("/f", "x");
        fs.symlink("/d", "/s", Caller.ROOT);
        assertErrno(Errno.EEXIST, () -> fs.mkdir("/d", 0755, Caller.ROOT));
        assertErrno(Errno.EEXIST, () -> fs.mkdir("/f", 0755, Caller.ROOT));
        assertErrno(Errno.EEXIST, () -> fs.mkdir("/s", 0755, Caller.ROOT));
        assertErrno(Errno.ENOENT, () -> fs.mkdir("/missing/x", 0755, Caller.ROOT));
        assertErrno(Errno.ENOTDIR, () -> fs.mkdir("/f/x", 0755, Caller.ROOT));
        assertErrno(Errno.ENOTDIR, () -> fs.mkdir("/s/x", 0755, Caller.ROOT)); // paths do not follow symlinks
        assertThat(names("/")).containsExactlyInAnyOrder("d", "f", "s");
    }

    // ------------------------------------------------------------------ rmdir

    @Test
    void rmdirRemovesAnEmptyDirectory() throws Exception {
        fs.mkdir("/d", 0755, Caller.ROOT);
        fs.mkdir("/d/e", 0755, Caller.ROOT);
        fs.getattr("/d/e"); // cached resolution
        fs.rmdir("/d/e");
        assertErrno(Errno.ENOENT, () -> fs.getattr("/d/e"));
        assertThat(names("/d")).isEmpty();
        fs.rmdir("/d");
        assertErrno(Errno.ENOENT, () -> fs.getattr("/d"));
        assertThat(names("/")).isEmpty();
        // the name can be used again, for another type
        file("/d", "now a file");
        assertThat(fs.getattr("/d").type()).isEqualTo(FileType.REGULAR);
    }

    @Test
    void rmdirErrors() throws Exception {
        fs.mkdir("/d", 0755, Caller.ROOT);
        file("/d/f", "x");
        fs.symlink("/d", "/s", Caller.ROOT);
        assertErrno(Errno.ENOTEMPTY, () -> fs.rmdir("/d"));
        assertErrno(Errno.ENOTDIR, () -> fs.rmdir("/d/f"));
        assertErrno(Errno.ENOTDIR, () -> fs.rmdir("/s"));
        assertErrno(Errno.ENOENT, () -> fs.rmdir("/missing"));
        assertErrno(Errno.ENOENT, () -> fs.rmdir("/missing/x"));
        assertErrno(Errno.ENOTDIR, () -> fs.rmdir("/d/f/x"));
        assertErrno(Errno.EINVAL, () -> fs.rmdir("/"));
        assertThat(fs.getattr("/d/f").type()).isEqualTo(FileType.REGULAR);
        fs.mkdir("/d/sub", 0755, Caller.ROOT);
        fs.unlink("/d/f");
        assertErrno(Errno.ENOTEMPTY, () -> fs.rmdir("/d")); // a subdirectory also counts
        fs.rmdir("/d/sub");
        fs.rmdir("/d");
    }

    // ------------------------------------------------------------------ create

    @Test
    void createMakesAnEmptyOpenFile() throws Exception {
        Caller c = new Caller(1000, 100, 42);
        long fh = fs.create("/f", 0640, OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_EXCL, c);
        Attributes a = fs.getattr("/f");
        assertThat(a.type()).isEqualTo(FileType.REGULAR);
        assertThat(a.mode()).isEqualTo(0100640);
        assertThat(a.size()).isZero();
        assertThat(a.nlink()).isEqualTo(1);
        assertThat(a.uid()).isEqualTo(1000);
        assertThat(a.gid()).isEqualTo(100);
        assertThat(fs.getattr(fh)).isEqualTo(a);
        fs.write(fh, 0, ByteBuffer.wrap("abc".getBytes(StandardCharsets.UTF_8)));
        fs.release(fh);
        assertThat(content("/f")).isEqualTo("abc");
    }

    @Test
    void createWithoutExclOpensTheExistingFile() throws Exception {
        file("/f", "hello");
        long ino = fs.getattr("/f").ino();
        long fh = fs.create("/f", 0600, OpenFlags.O_RDWR | OpenFlags.O_CREAT, Caller.ROOT);
        assertThat(fs.getattr(fh).ino()).isEqualTo(ino);
        assertThat(fs.getattr("/f").mode()).isEqualTo(0100644); // mode of an existing file is not changed
        ByteBuffer b = ByteBuffer.allocate(5);
        assertThat(fs.read(fh, 0, b)).isEqualTo(5);
        fs.release(fh);
        long fh2 = fs.create("/f", 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, Caller.ROOT);
        assertThat(fs.getattr("/f").size()).isZero();
        assertThat(fs.getattr("/f").ino()).isEqualTo(ino);
        fs.release(fh2);
    }

    @Test
    void createErrors() throws Exception {
        file("/f", "keep");
        fs.mkdir("/d", 0755, Caller.ROOT);
        assertErrno(Errno.EEXIST, () -> fs.create("/f", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_EXCL, Caller.ROOT));
        assertErrno(Errno.EEXIST, () -> fs.create("/d", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_EXCL, Caller.ROOT));
        assertErrno(Errno.EISDIR, () -> fs.create("/d", 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, Caller.ROOT));
        assertErrno(Errno.ENOENT, () -> fs.create("/missing/f", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, Caller.ROOT));
        assertErrno(Errno.ENOTDIR, () -> fs.create("/f/g", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, Caller.ROOT));
        assertThat(content("/f")).isEqualTo("keep");
    }

    @Test
    void createOverAnExistingDirectoryReadOnlyIsEisdir() throws Exception {
        // Linux: open(O_CREAT) of an existing directory is EISDIR whatever the access mode
        fs.mkdir("/d", 0755, Caller.ROOT);
        assertErrno(Errno.EISDIR, () -> fs.create("/d", 0644, OpenFlags.O_RDONLY | OpenFlags.O_CREAT, Caller.ROOT));
    }

    // ------------------------------------------------------------------ unlink

    @Test
    void unlinkRemovesTheName() throws Exception {
        file("/f", "x");
        fs.getattr("/f");
        fs.unlink("/f");
        assertErrno(Errno.ENOENT, () -> fs.getattr("/f"));
        assertErrno(Errno.ENOENT, () -> fs.open("/f", OpenFlags.O_RDONLY));
        assertThat(names("/")).isEmpty();
        assertThat(fs.bytesStored()).isZero();
        file("/f", "new");
        assertThat(content("/f")).isEqualTo("new");
    }

    @Test
    void unlinkOfASymlinkRemovesOnlyTheLink() throws Exception {
        file("/f", "target");
        fs.symlink("/f", "/s", Caller.ROOT);
        fs.unlink("/s");
        assertErrno(Errno.ENOENT, () -> fs.getattr("/s"));
        assertThat(content("/f")).isEqualTo("target");
    }

    @Test
    void unlinkErrors() throws Exception {
        fs.mkdir("/d", 0755, Caller.ROOT);
        file("/f", "x");
        assertErrno(Errno.EISDIR, () -> fs.unlink("/d"));
        assertErrno(Errno.ENOENT, () -> fs.unlink("/missing"));
        assertErrno(Errno.ENOENT, () -> fs.unlink("/missing/x"));
        assertErrno(Errno.ENOTDIR, () -> fs.unlink("/f/x"));
        assertThat(fs.getattr("/d").type()).isEqualTo(FileType.DIRECTORY);
    }

    // ------------------------------------------------------------------ link

    @Test
    void linkAddsANameToTheSameInode() throws Exception {
        file("/f", "shared");
        fs.mkdir("/d", 0755, Caller.ROOT);
        Attributes a = fs.link("/f", "/d/g");
        assertThat(a.ino()).isEqualTo(fs.getattr("/f").ino());
        assertThat(a.nlink()).isEqualTo(2);
        assertThat(fs.getattr("/f").nlink()).isEqualTo(2);
        assertThat(fs.getattr("/d/g").nlink()).isEqualTo(2);
        assertThat(content("/d/g")).isEqualTo("shared");
        // a write through one name is seen through the other
        long fh = fs.open("/d/g", OpenFlags.O_WRONLY);
        fs.write(fh, 0, ByteBuffer.wrap("SH".getBytes(StandardCharsets.UTF_8)));
        fs.release(fh);
        assertThat(content("/f")).isEqualTo("SHared");
        fs.unlink("/f");
        assertThat(fs.getattr("/d/g").nlink()).isEqualTo(1);
        assertThat(content("/d/g")).isEqualTo("SHared");
        assertThat(fs.bytesStored()).isEqualTo(6);
        fs.unlink("/d/g");
        assertThat(fs.bytesStored()).isZero();
    }

    @Test
    void linkOfASymlinkLinksTheLinkItself() throws Exception {
        fs.symlink("/nowhere", "/s", Caller.ROOT);
        Attributes a = fs.link("/s", "/s2");
        assertThat(a.type()).isEqualTo(FileType.SYMLINK);
        assertThat(fs.readlink("/s2")).isEqualTo("/nowhere");
        assertThat(fs.getattr("/s").nlink()).isEqualTo(2);
    }

    @Test
    void linkErrors() throws Exception {
        file("/f", "x");
        file("/g", "y");
        fs.mkdir("/d", 0755, Caller.ROOT);
        assertErrno(Errno.EPERM, () -> fs.link("/d", "/d2"));
        assertErrno(Errno.EEXIST, () -> fs.link("/f", "/g"));
        assertErrno(Errno.EEXIST, () -> fs.link("/f", "/d"));
        assertErrno(Errno.EEXIST, () -> fs.link("/f", "/f"));
        assertErrno(Errno.ENOENT, () -> fs.link("/missing", "/h"));
        assertErrno(Errno.ENOENT, () -> fs.link("/f", "/missing/h"));
        assertErrno(Errno.ENOTDIR, () -> fs.link("/f", "/g/h"));
        assertThat(fs.getattr("/f").nlink()).isEqualTo(1);
        assertThat(content("/g")).isEqualTo("y");
    }

    // ------------------------------------------------------------------ symlink / readlink

    @Test
    void symlinkAndReadlink() throws Exception {
        String target = "../some/where/ünïcode";
        Attributes a = fs.symlink(target, "/s", new Caller(7, 8, 9));
        assertThat(a.type()).isEqualTo(FileType.SYMLINK);
        assertThat(a.mode()).isEqualTo(0120777);
        assertThat(a.size()).isEqualTo(target.getBytes(StandardCharsets.UTF_8).length);
        assertThat(a.uid()).isEqualTo(7);
        assertThat(a.gid()).isEqualTo(8);
        assertThat(a.nlink()).isEqualTo(1);
        assertThat(fs.readlink("/s")).isEqualTo(target);
        assertThat(fs.getattr("/s")).isEqualTo(a);
        String longest = "t".repeat(4095);
        fs.symlink(longest, "/long", Caller.ROOT);
        assertThat(fs.readlink("/long")).isEqualTo(longest);
    }

    @Test
    void symlinkAndReadlinkErrors() throws Exception {
        file("/f", "x");
        fs.mkdir("/d", 0755, Caller.ROOT);
        fs.symlink("/f", "/s", Caller.ROOT);
        assertErrno(Errno.EEXIST, () -> fs.symlink("/x", "/f", Caller.ROOT));
        assertErrno(Errno.EEXIST, () -> fs.symlink("/x", "/d", Caller.ROOT));
        assertErrno(Errno.EEXIST, () -> fs.symlink("/x", "/s", Caller.ROOT));
        assertErrno(Errno.ENOENT, () -> fs.symlink("/x", "/missing/s", Caller.ROOT));
        assertErrno(Errno.ENOTDIR, () -> fs.symlink("/x", "/f/s", Caller.ROOT));
        assertErrno(Errno.ENAMETOOLONG, () -> fs.symlink("t".repeat(4096), "/s2", Caller.ROOT));
        assertErrno(Errno.EINVAL, () -> fs.readlink("/f"));
        assertErrno(Errno.EINVAL, () -> fs.readlink("/d"));
        assertErrno(Errno.ENOENT, () -> fs.readlink("/missing"));
        assertThat(fs.readlink("/s")).isEqualTo("/f");
    }

    // ------------------------------------------------------------------ rename

    @Test
    void renameFileWithinAndAcrossDirectories() throws Exception {
        file("/a", "AAA");
        fs.mkdir("/d", 0755, Caller.ROOT);
        long ino = fs.getattr("/a").ino();
        fs.rename("/a", "/b", 0);
        assertErrno(Errno.ENOENT, () -> fs.getattr("/a"));
        assertThat(fs.getattr("/b").ino()).isEqualTo(ino);
        fs.rename("/b", "/d/c", 0);
        assertErrno(Errno.ENOENT, () -> fs.getattr("/b"));
        assertThat(fs.getattr("/d/c").ino()).isEqualTo(ino);
        assertThat(content("/d/c")).isEqualTo("AAA");
        assertThat(names("/")).containsExactly("d");
        assertThat(names("/d")).containsExactly("c");
        assertThat(fs.getattr("/d").nlink()).isEqualTo(2); // moving a file does not change link counts
    }

    @Test
    void renameFileReplacesAFile() throws Exception {
        file("/a", "new");
        file("/b", "old content");
        long ino = fs.getattr("/a").ino();
        fs.rename("/a", "/b", 0);
        assertThat(fs.getattr("/b").ino()).isEqualTo(ino);
        assertThat(content("/b")).isEqualTo("new");
        assertErrno(Errno.ENOENT, () -> fs.getattr("/a"));
        assertThat(fs.bytesStored()).isEqualTo(3);
        assertThat(names("/")).containsExactly("b");
    }

    @Test
    void renameOverAnOpenFileKeepsItReadableThroughItsHandle() throws Exception {
        file("/a", "new");
        file("/b", "old");
        long fh = fs.open("/b", OpenFlags.O_RDONLY);
        fs.rename("/a", "/b", 0);
        ByteBuffer buf = ByteBuffer.allocate(3);
        fs.read(fh, 0, buf);
        assertThat(new String(buf.array(), StandardCharsets.UTF_8)).isEqualTo("old");
        assertThat(fs.getattr(fh).nlink()).isZero();
        fs.release(fh);
        assertThat(fs.bytesStored()).isEqualTo(3);
        assertThat(content("/b")).isEqualTo("new");
    }

    @Test
    void renameReplacingOneOfSeveralLinksDecrementsNlink() throws Exception {
        file("/a", "a");
        file("/b", "b");
        fs.link("/b", "/b2");
        fs.rename("/a", "/b", 0);
        assertThat(fs.getattr("/b2").nlink()).isEqualTo(1);
        assertThat(content("/b2")).isEqualTo("b");
        assertThat(content("/b")).isEqualTo("a");
    }

    @Test
    void renameDirectoryMovesItsSubtreeAndFixesLinkCounts() throws Exception {
        fs.mkdir("/a", 0755, Caller.ROOT);
        fs.mkdir("/a/b", 0755, Caller.ROOT);
        fs.mkdir("/z", 0755, Caller.ROOT);
        file("/a/b/f", "deep");
        fs.getattr("/a/b/f"); // cache the resolution
        fs.rename("/a/b", "/z/c", 0);
        assertErrno(Errno.ENOENT, () -> fs.getattr("/a/b/f"));
        assertErrno(Errno.ENOENT, () -> fs.getattr("/a/b"));
        assertThat(content("/z/c/f")).isEqualTo("deep");
        assertThat(fs.getattr("/a").nlink()).isEqualTo(2);
        assertThat(fs.getattr("/z").nlink()).isEqualTo(3);
        assertThat(fs.getattr("/").nlink()).isEqualTo(4);
        long dh = fs.opendir("/z/c");
        List<DirEntry> entries = fs.readdir(dh, 0, 10);
        fs.releasedir(dh);
        assertThat(entries.get(1).name()).isEqualTo("..");
        assertThat(entries.get(1).ino()).isEqualTo(fs.getattr("/z").ino());
        fs.rename("/z", "/y", 0);
        assertThat(content("/y/c/f")).isEqualTo("deep");
        assertErrno(Errno.ENOENT, () -> fs.getattr("/z/c/f"));
    }

    @Test
    void renameDirectoryOverAnEmptyDirectory() throws Exception {
        fs.mkdir("/a", 0755, Caller.ROOT);
        fs.mkdir("/p", 0755, Caller.ROOT);
        fs.mkdir("/p/b", 0755, Caller.ROOT);
        file("/a/f", "x");
        long ino = fs.getattr("/a").ino();
        long before = fs.inodeCount();
        fs.rename("/a", "/p/b", 0);
        assertThat(fs.getattr("/p/b").ino()).isEqualTo(ino);
        assertThat(content("/p/b/f")).isEqualTo("x");
        assertThat(fs.getattr("/p").nlink()).isEqualTo(3);
        assertThat(fs.getattr("/").nlink()).isEqualTo(3); // lost /a, still has /p
        assertThat(fs.inodeCount()).isEqualTo(before - 1);
        // same parent
        fs.mkdir("/p/e", 0755, Caller.ROOT);
        fs.mkdir("/p/e2", 0755, Caller.ROOT);
        fs.rename("/p/e", "/p/e2", 0);
        assertThat(fs.getattr("/p").nlink()).isEqualTo(4);
        assertThat(names("/p")).containsExactlyInAnyOrder("b", "e2");
    }

    @Test
    void renameErrors() throws Exception {
        file("/f", "file");
        fs.mkdir("/d", 0755, Caller.ROOT);
        fs.mkdir("/full", 0755, Caller.ROOT);
        file("/full/x", "x");
        fs.mkdir("/d/sub", 0755, Caller.ROOT);
        assertErrno(Errno.EISDIR, () -> fs.rename("/f", "/d", 0));
        assertErrno(Errno.ENOTDIR, () -> fs.rename("/d", "/f", 0));
        assertErrno(Errno.ENOTEMPTY, () -> fs.rename("/d", "/full", 0));
        assertErrno(Errno.EINVAL, () -> fs.rename("/d", "/d/sub/inside", 0));
        assertErrno(Errno.EINVAL, () -> fs.rename("/d", "/d/inside", 0));
        assertErrno(Errno.ENOENT, () -> fs.rename("/missing", "/x", 0));
        assertErrno(Errno.ENOENT, () -> fs.rename("/f", "/missing/x", 0));
        assertErrno(Errno.ENOTDIR, () -> fs.rename("/f", "/f/x", 0));
        assertErrno(Errno.ENOTDIR, () -> fs.rename("/f/x", "/y", 0));
        assertErrno(Errno.EEXIST, () -> fs.rename("/f", "/full/x", OpenFlags.RENAME_NOREPLACE));
        assertErrno(Errno.EEXIST, () -> fs.rename("/d", "/full", OpenFlags.RENAME_NOREPLACE));
        assertErrno(Errno.EINVAL, () -> fs.rename("/f", "/g", OpenFlags.RENAME_EXCHANGE));
        assertErrno(Errno.EINVAL, () -> fs.rename("/f", "/g", 4));
        // nothing changed
        assertThat(names("/")).containsExactlyInAnyOrder("f", "d", "full");
        assertThat(content("/f")).isEqualTo("file");
        assertThat(content("/full/x")).isEqualTo("x");
        assertThat(names("/d")).containsExactly("sub");
    }

    @Test
    void renameOfADirectoryOntoItsAncestorIsEnotempty() throws Exception {
        fs.mkdir("/a", 0755, Caller.ROOT);
        fs.mkdir("/a/b", 0755, Caller.ROOT);
        assertErrno(Errno.ENOTEMPTY, () -> fs.rename("/a/b", "/a", 0));
        assertThat(names("/a")).containsExactly("b");
    }

    @Test
    void renameNoreplaceToAFreeNameWorks() throws Exception {
        file("/f", "x");
        fs.rename("/f", "/g", OpenFlags.RENAME_NOREPLACE);
        assertThat(content("/g")).isEqualTo("x");
        assertErrno(Errno.ENOENT, () -> fs.getattr("/f"));
    }

    @Test
    void renameOntoAHardLinkOfItselfIsANoOp() throws Exception {
        file("/f", "x");
        fs.link("/f", "/g");
        fs.rename("/f", "/g", 0);
        assertThat(names("/")).containsExactlyInAnyOrder("f", "g");
        assertThat(fs.getattr("/f").nlink()).isEqualTo(2);
        assertThat(content("/f")).isEqualTo("x");
        fs.rename("/f", "/f", 0);
        fs.mkdir("/d", 0755, Caller.ROOT);
        fs.rename("/d", "/d", 0);
        assertThat(names("/")).containsExactlyInAnyOrder("f", "g", "d");
        assertThat(fs.getattr("/").nlink()).isEqualTo(3);
    }

    @Test
    void renameOfASymlinkMovesTheLink() throws Exception {
        fs.symlink("target", "/s", Caller.ROOT);
        fs.rename("/s", "/t", 0);
        assertThat(fs.readlink("/t")).isEqualTo("target");
        assertErrno(Errno.ENOENT, () -> fs.readlink("/s"));
    }

    // ------------------------------------------------------------------ readdir

    @Test
    void readdirListsDotEntriesAndNamesWithTypes() throws Exception {
        fs.mkdir("/d", 0755, Caller.ROOT);
        fs.mkdir("/d/sub", 0755, Caller.ROOT);
        file("/d/f", "x");
        fs.symlink("f", "/d/s", Caller.ROOT);
        long dh = fs.opendir("/d");
        List<DirEntry> all = fs.readdir(dh, 0, 100);
        fs.releasedir(dh);
        assertThat(all).extracting(DirEntry::name).containsExactlyInAnyOrder(".", "..", "sub", "f", "s");
        for (DirEntry e : all) {
            switch (e.name()) {
                case "." -> assertThat(e.ino()).isEqualTo(fs.getattr("/d").ino());
                case ".." -> assertThat(e.ino()).isEqualTo(fs.getattr("/").ino());
                default -> {
                    assertThat(e.ino()).isEqualTo(fs.getattr("/d/" + e.name()).ino());
                    assertThat(e.type()).isEqualTo(fs.getattr("/d/" + e.name()).type());
                }
            }
        }
        long root = fs.opendir("/");
        List<DirEntry> r = fs.readdir(root, 0, 2);
        assertThat(r).extracting(DirEntry::name).containsExactly(".", "..");
        assertThat(r.get(1).ino()).isEqualTo(r.get(0).ino());
        fs.releasedir(root);
    }

    @Test
    void readdirPagesStayConsistentWhileTheDirectoryChanges() throws Exception {
        fs.mkdir("/d", 0755, Caller.ROOT);
        int n = 2000;
        for (int i = 0; i < n; i++) {
            fs.release(fs.create("/d/f" + i, 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, Caller.ROOT));
        }
        long dh = fs.opendir("/d");
        Set<String> seen = new HashSet<>();
        long off = 0;
        int page = 0;
        List<String> removed = new ArrayList<>();
        while (true) {
            List<DirEntry> entries = fs.readdir(dh, off, 97);
            if (entries.isEmpty()) {
                break;
            }
            for (DirEntry e : entries) {
                assertThat(seen.add(e.name())).as("duplicate " + e.name()).isTrue();
                off = e.nextOffset();
            }
            // change the directory between pages: remove some entries, add others
            if (page++ % 3 == 0) {
                String victim = "f" + (n - 1 - page);
                fs.unlink("/d/" + victim);
                removed.add(victim);
                fs.release(fs.create("/d/new" + page, 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, Caller.ROOT));
            }
        }
        fs.releasedir(dh);
        // every entry that existed for the whole listing was returned exactly once
        for (int i = 0; i < n; i++) {
            if (!removed.contains("f" + i)) {
                assertThat(seen).contains("f" + i);
            }
        }
        assertThat(names("/d")).hasSize(n).doesNotContainAnyElementsOf(removed);
    }

    @Test
    void readdirErrors() throws Exception {
        file("/f", "x");
        fs.symlink("/", "/s", Caller.ROOT);
        assertErrno(Errno.ENOTDIR, () -> fs.opendir("/f"));
        assertErrno(Errno.ENOTDIR, () -> fs.opendir("/s"));
        assertErrno(Errno.ENOENT, () -> fs.opendir("/missing"));
        long dh = fs.opendir("/");
        assertErrno(Errno.EINVAL, () -> fs.readdir(dh, -1, 10));
        fs.releasedir(dh);
        assertErrno(Errno.EBADF, () -> fs.readdir(dh, 0, 10));
        assertErrno(Errno.EBADF, () -> fs.releasedir(dh));
        assertErrno(Errno.EBADF, () -> fs.readdir(12345, 0, 10));
        long fh = fs.open("/f", OpenFlags.O_RDONLY);
        assertErrno(Errno.EBADF, () -> fs.readdir(fh, 0, 10)); // a file handle is not a directory handle
        fs.release(fh);
    }

    // ------------------------------------------------------------------ resolution

    @Test
    void pathsThroughFilesAndSymlinksAreNotDirectories() throws Exception {
        file("/f", "x");
        fs.mkdir("/d", 0755, Caller.ROOT);
        fs.symlink("/d", "/s", Caller.ROOT);
        file("/d/inner", "y");
        assertErrno(Errno.ENOTDIR, () -> fs.getattr("/f/x"));
        assertErrno(Errno.ENOTDIR, () -> fs.getattr("/s/inner"));
        assertErrno(Errno.ENOENT, () -> fs.getattr("/nope/x"));
        assertThat(fs.getattr("/s").type()).isEqualTo(FileType.SYMLINK);
        assertThat(fs.getattr("//d///inner").ino()).isEqualTo(fs.getattr("/d/inner").ino());
    }

    @Test
    void replacingANameIsSeenByCachedResolutions() throws Exception {
        fs.mkdir("/d", 0755, Caller.ROOT);
        file("/d/f", "one");
        long first = fs.getattr("/d/f").ino();
        fs.unlink("/d/f");
        fs.mkdir("/d/f", 0755, Caller.ROOT);
        assertThat(fs.getattr("/d/f").type()).isEqualTo(FileType.DIRECTORY);
        assertThat(fs.getattr("/d/f").ino()).isNotEqualTo(first);
        fs.rmdir("/d/f");
        fs.rmdir("/d");
        fs.mkdir("/d", 0755, Caller.ROOT);
        assertErrno(Errno.ENOENT, () -> fs.getattr("/d/f"));
        file("/d/f", "two");
        assertThat(content("/d/f")).isEqualTo("two");
    }
}
