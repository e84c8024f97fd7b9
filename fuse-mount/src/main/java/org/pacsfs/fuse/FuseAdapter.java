package org.pacsfs.fuse;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import org.pacsfs.core.fs.Attributes;
import org.pacsfs.core.fs.Caller;
import org.pacsfs.core.fs.DirEntry;
import org.pacsfs.core.fs.Errno;
import org.pacsfs.core.fs.FileSystem;
import org.pacsfs.core.fs.FileType;
import org.pacsfs.core.fs.FsException;
import org.pacsfs.core.fs.OpenFlags;
import org.pacsfs.core.fs.StatFs;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseContext;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * The jnr-fuse binding: converts arguments, calls {@link FileSystem}, writes the reply. No semantics live here (they
 * are in fs-core, tested without FUSE); errors become errnos in {@link Errnos} only.
 *
 * <p>Three things are the adapter's own, because they are about the FUSE channel rather than the filesystem:
 * <ul>
 *   <li>Paths arrive as Java strings that jnr-fuse decoded from UTF-8; an invalid byte sequence has become U+FFFD and
 *       cannot be mapped back, so such names are refused with EILSEQ rather than stored under a different name
 *       (docs/SEMANTICS.md, "Names").</li>
 *   <li>Unlink of an open file: libfuse 2 renames it to {@code .fuse_hidden*} (a visible file that blocks rmdir of
 *       its parent) unless {@code hard_remove} is set, and with {@code hard_remove} it answers fstat of the open file
 *       with ENOENT (GETATTR is path based). So the adapter takes libfuse's hiding rename as the unlink: fs-core
 *       unlinks the name, and the hidden path maps to a handle that keeps the inode alive until libfuse unlinks the
 *       hidden name at the last close. Handle operations use only the handle ({@code nullpath_ok} is set too).</li>
 *   <li>{@code user.pacsfs.status} on the root directory answers with the mount's status (for {@code pacsfs status});
 *       it is not stored and not listed.</li>
 * </ul>
 *
 * <p>Thread-safe: libfuse calls from many native threads, created and retired constantly, so there is no
 * thread-local state; write buffers come from a small shared pool.
 */
public class FuseAdapter extends FuseStubFS {

    /** The root xattr that answers with the mount's status. */
    public static final String STATUS_XATTR = "user.pacsfs.status";

    private static final char REPLACEMENT = '\uFFFD';
    private static final int READDIR_BATCH = 256;
    /** fuse_operations flag bits (libfuse 2.9, x86_64 little-endian bit-field order): nullpath_ok, utime_omit_ok. */
    private static final int FLAG_NULLPATH_OK = 1;
    private static final int FLAG_UTIME_OMIT_OK = 1 << 2;
    /** The kernel's UTIME_NOW / UTIME_OMIT tv_nsec values, passed through because of utime_omit_ok. */
    private static final long KERNEL_UTIME_NOW = (1L << 30) - 1;
    private static final long KERNEL_UTIME_OMIT = (1L << 30) - 2;

    private static final long FILE_INFO_BITS_OFFSET = 20;
    private static final int KEEP_CACHE_BIT = 1 << 1;

    private static final String HIDDEN_PREFIX = ".fuse_hidden";

    /** Hidden paths of unlinked open files (see rename) and the handle that keeps each inode alive. */
    private final java.util.concurrent.ConcurrentHashMap<String, Long> hidden = new java.util.concurrent.ConcurrentHashMap<>();
    /** Inodes that had more than one name during this mount (see keepCacheUnlessLinked). */
    private final java.util.Set<Long> multiName = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final FileSystem fs;
    private final Supplier<String> status;
    private final BufferPool buffers = new BufferPool(64, 128 * 1024);

    public FuseAdapter(FileSystem fs, Supplier<String> status) {
        this.fs = fs;
        this.status = status;
        // jnr-fuse fills fuse_operations in its constructor and does not name the flag bits: they sit in the four
        // one-byte "padding" fields after bmap (one unsigned int bit-field in C). Set them before mount().
        Struct.getMemory(fuseOperations).putByte(flagsOffset(), (byte) (FLAG_NULLPATH_OK | FLAG_UTIME_OMIT_OK));
    }

    /** Where the flag bit-field sits: after the 38 function pointers getattr .. bmap of libfuse 2.9's fuse_operations. */
    private long flagsOffset() {
        long expected = 38L * jnr.ffi.Runtime.getSystemRuntime().addressSize();
        try {
            // Member.offset() is public on a class jnr-ffi does not export to us; reflection checks the layout agrees.
            Object member = fuseOperations.getClass().getField("flag_nullpath_ok").get(fuseOperations);
            java.lang.reflect.Method offset = member.getClass().getMethod("offset");
            offset.setAccessible(true);
            long actual = (Long) offset.invoke(member);
            if (actual != expected) {
                throw new IllegalStateException("jnr-fuse's fuse_operations layout is not the expected one (flags at "
                        + actual + ", expected " + expected + "): this jnr-fuse version is not supported");
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot locate the fuse_operations flags in this jnr-fuse version", e);
        }
        return expected;
    }

    // ---- attributes ----

    @Override
    public int getattr(String path, FileStat stat) {
        if (invalid(path)) {
            return Errnos.of(Errno.EILSEQ);
        }
        try {
            Long hiddenFh = hidden.get(path);
            fill(stat, hiddenFh != null ? fs.getattr(hiddenFh) : fs.getattr(path));
            return 0;
        } catch (Throwable e) {
            return Errnos.reply("getattr", e);
        }
    }

    @Override
    public int fgetattr(String path, FileStat stat, FuseFileInfo fi) {
        try {
            fill(stat, fs.getattr(fi.fh.get()));
            return 0;
        } catch (Throwable e) {
            return Errnos.reply("fgetattr", e);
        }
    }

    @Override
    public int access(String path, int mask) {
        if (invalid(path)) {
            return Errnos.of(Errno.EILSEQ);
        }
        try {
            fs.access(path, mask, caller());
            return 0;
        } catch (Throwable e) {
            return Errnos.reply("access", e);
        }
    }

    @Override
    public int chmod(String path, @mode_t long mode) {
        if (invalid(path)) {
            return Errnos.of(Errno.EILSEQ);
        }
        try {
            fs.chmod(path, (int) mode & 07777, caller());
            return 0;
        } catch (Throwable e) {
            return Errnos.reply("chmod", e);
        }
    }

    @Override
    public int chown(String path, long uid, long gid) {
        if (invalid(path)) {
            return Errnos.of(Errno.EILSEQ);
        }
        try {
            // (uid_t) -1 means "unchanged"; it arrives as 4294967295 and narrows back to -1.
            fs.chown(path, (int) uid, (int) gid, caller());
            return 0;
        } catch (Throwable e) {
            return Errnos.reply("chown", e);
        }
    }

    @Override
    public int utimens(String path, Timespec[] timespec) {
        if (invalid(path)) {
            return Errnos.of(Errno.EILSEQ);
        }
        try {
            fs.utimens(path, nanos(timespec[0]), nanos(timespec[1]), caller());
            return 0;
        } catch (Throwable e) {
            return Errnos.reply("utimens", e);
        }
    }

    @Override
    public int statfs(String path, Statvfs stbuf) {
        try {
            StatFs s = fs.statfs();
            stbuf.f_bsize.set(s.blockSize());
            stbuf.f_frsize.set(s.blockSize());
            stbuf.f_blocks.set(s.totalBlocks());
            stbuf.f_bfree.set(s.freeBlocks());
            stbuf.f_bavail.set(s.availableBlocks());
            stbuf.f_files.set(s.totalFiles());
            stbuf.f_ffree.set(s.freeFiles());
            stbuf.f_favail.set(s.freeFiles());
            stbuf.f_namemax.set(s.maxNameLength());
            return 0;
        } catch (Throwable e) {
            return Errnos.reply("statfs", e);
        }
    }

    // ---- namespace ----

    @Override
    public int mkdir(String path, @mode_t long mode) {
        if (invalid(path)) {
            return Errnos.of(Errno.EILSEQ);
        }
        try {
            fs.mkdir(path, (int) mode & 07777, caller());
            return 0;
        } catch (Throwable e) {
            return Errnos.reply("mkdir", e);
        }
    }

    @Override
    public int rmdir(String path) {
        if (invalid(path)) {
            return Errnos.of(Errno.EILSEQ);
        }
        try {
            fs.rmdir(path, caller());
            return 0;
        } catch (Throwable e) {
            return Errnos.reply("rmdir", e);
        }
    }

    @Override
    public int unlink(String path) {
        if (invalid(path)) {
            return Errnos.of(Errno.EILSEQ);
        }
        try {
            Long hiddenFh = hidden.remove(path);
            if (hiddenFh != null) {
                fs.release(hiddenFh, caller()); // the last handle of an unlinked file was closed: now it disappears
            } else {
                fs.unlink(path, caller());
            }
            return 0;
        } catch (Throwable e) {
            return Errnos.reply("unlink", e);
        }
    }

    @Override
    public int rename(String oldpath, String newpath) {
        if (invalid(oldpath) || invalid(newpath)) {
            return Errnos.of(Errno.EILSEQ);
        }
        try {
            if (isHiddenName(newpath)) {
                // libfuse hides an open file instead of unlinking it (it renames it to .fuse_hidden<16 hex>, and
                // unlinks that name at the last close). We unlink it in fs-core now, so the name is gone from the
                // directory and rmdir of the parent works, and keep the inode alive with a handle of our own under
                // the hidden path, which libfuse keeps using for GETATTR (fstat of the open file).
                long fh = fs.open(oldpath, OpenFlags.O_RDONLY);
                try {
                    fs.unlink(oldpath, caller());
                } catch (FsException e) {
                    fs.release(fh, caller());
                    throw e;
                }
                hidden.put(newpath, fh);
                return 0;
            }
            // libfuse 2 has no renameat2 flags: a plain rename(2).
            fs.rename(oldpath, newpath, 0, caller());
            return 0;
        } catch (Throwable e) {
            return Errnos.reply("rename", e);
        }
    }

    @Override
    public int symlink(String oldpath, String newpath) {
        if (invalid(oldpath) || invalid(newpath)) {
            return Errnos.of(Errno.EILSEQ);
        }
        try {
            fs.symlink(oldpath, newpath, caller());
            return 0;
        } catch (Throwable e) {
            return Errnos.reply("symlink", e);
        }
    }

    @Override
    public int readlink(String path, Pointer buf, @size_t long size) {
        if (invalid(path)) {
            return Errnos.of(Errno.EILSEQ);
        }
        try {
            byte[] target = fs.readlink(path).getBytes(StandardCharsets.UTF_8);
            // readlink(3) of FUSE: a NUL-terminated string, truncated to the buffer.
            int n = (int) Math.min(target.length, size - 1);
            buf.put(0, target, 0, n);
            buf.putByte(n, (byte) 0);
            return 0;
        } catch (Throwable e) {
            return Errnos.reply("readlink", e);
        }
    }

    @Override
    public int link(String oldpath, String newpath) {
        if (invalid(oldpath) || invalid(newpath)) {
            return Errnos.of(Errno.EILSEQ);
        }
        try {
            multiName.add(fs.link(oldpath, newpath, caller()).ino());
            return 0;
        } catch (Throwable e) {
            return Errnos.reply("link", e);
        }
    }

    @Override
    public int mknod(String path, @mode_t long mode, long rdev) {
        if (invalid(path)) {
            return Errnos.of(Errno.EILSEQ);
        }
        if ((mode & 0170000) != FileType.REGULAR.modeBits()) {
            // Devices, FIFOs and sockets have no meaning in an archive bucket: EPERM, as mknod(2) says for a
            // filesystem that does not support the node type.
            return Errnos.of(Errno.EPERM);
        }
        try {
            long fh = fs.create(path, (int) mode & 07777, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_EXCL, caller());
            fs.release(fh, caller());
            return 0;
        } catch (Throwable e) {
            return Errnos.reply("mknod", e);
        }
    }

    // ---- files ----

    @Override
    public int create(String path, @mode_t long mode, FuseFileInfo fi) {
        if (invalid(path)) {
            return Errnos.of(Errno.EILSEQ);
        }
        try {
            long fh = fs.create(path, (int) mode & 07777, fi.flags.get(), caller());
            fi.fh.set(fh);
            keepCacheUnlessLinked(fi, fh);
            return 0;
        } catch (Throwable e) {
            return Errnos.reply("create", e);
        }
    }

    @Override
    public int open(String path, FuseFileInfo fi) {
        if (invalid(path)) {
            return Errnos.of(Errno.EILSEQ);
        }
        try {
            long fh = fs.open(path, fi.flags.get(), caller());
            fi.fh.set(fh);
            keepCacheUnlessLinked(fi, fh);
            return 0;
        } catch (Throwable e) {
            return Errnos.reply("open", e);
        }
    }

    /**
     * Lets the kernel keep the file's page cache across opens (re-reading a study just written or read costs no
     * FUSE round trip), unless the file has other names: libfuse 2 gives each name its own kernel inode, so pages
     * cached under one name would not see a write through another. This mount is the filesystem's only writer (the
     * lease), so nothing else can change a singly-linked file behind the kernel's back.
     */
    private void keepCacheUnlessLinked(FuseFileInfo fi, long fh) throws FsException {
        Attributes a = fs.getattr(fh);
        if (a.nlink() > 1) {
            multiName.add(a.ino());
        }
        // Once an inode had several names in this mount, several kernel inodes may hold pages of it (also after the
        // other names were unlinked, through handles still open on them): never keep its cache again.
        if (!multiName.contains(a.ino())) {
            // jnr-fuse maps keep_cache at the wrong offset (PITFALLS.md): on x86_64 / libfuse 2.9 the bit field is
            // the int at offset 20 of struct fuse_file_info, bit 0 direct_io, bit 1 keep_cache.
            jnr.ffi.Pointer mem = Struct.getMemory(fi);
            mem.putInt(FILE_INFO_BITS_OFFSET, mem.getInt(FILE_INFO_BITS_OFFSET) | KEEP_CACHE_BIT);
        }
    }

    @Override
    public int read(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        byte[] bytes = buffers.take((int) size);
        try {
            ByteBuffer dst = ByteBuffer.wrap(bytes, 0, (int) size);
            int total = 0;
            // FUSE wants the whole request unless at end of file (a short read means EOF to the kernel).
            while (dst.hasRemaining()) {
                int n = fs.read(fi.fh.get(), offset + total, dst);
                if (n <= 0) {
                    break;
                }
                total += n;
            }
            buf.put(0, bytes, 0, total);
            return total;
        } catch (Throwable e) {
            return Errnos.reply("read", e);
        } finally {
            buffers.give(bytes);
        }
    }

    @Override
    public int write(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        byte[] bytes = buffers.take((int) size);
        try {
            buf.get(0, bytes, 0, (int) size);
            return fs.write(fi.fh.get(), offset, ByteBuffer.wrap(bytes, 0, (int) size), caller());
        } catch (Throwable e) {
            return Errnos.reply("write", e);
        } finally {
            buffers.give(bytes);
        }
    }

    @Override
    public int truncate(String path, @off_t long size) {
        if (invalid(path)) {
            return Errnos.of(Errno.EILSEQ);
        }
        try {
            fs.truncate(path, size, caller());
            return 0;
        } catch (Throwable e) {
            return Errnos.reply("truncate", e);
        }
    }

    @Override
    public int ftruncate(String path, @off_t long size, FuseFileInfo fi) {
        try {
            fs.truncate(fi.fh.get(), size, caller());
            return 0;
        } catch (Throwable e) {
            return Errnos.reply("ftruncate", e);
        }
    }

    @Override
    public int flush(String path, FuseFileInfo fi) {
        try {
            fs.flush(fi.fh.get());
            return 0;
        } catch (Throwable e) {
            return Errnos.reply("flush", e);
        }
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        try {
            fs.release(fi.fh.get(), caller());
            return 0;
        } catch (Throwable e) {
            return Errnos.reply("release", e);
        }
    }

    @Override
    public int fsync(String path, int isdatasync, FuseFileInfo fi) {
        try {
            fs.fsync(fi.fh.get(), isdatasync != 0);
            return 0;
        } catch (Throwable e) {
            return Errnos.reply("fsync", e);
        }
    }

    // ---- directories ----

    @Override
    public int opendir(String path, FuseFileInfo fi) {
        if (invalid(path)) {
            return Errnos.of(Errno.EILSEQ);
        }
        try {
            fi.fh.set(fs.opendir(path));
            return 0;
        } catch (Throwable e) {
            return Errnos.reply("opendir", e);
        }
    }

    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filter, @off_t long offset, FuseFileInfo fi) {
        try {
            // Offset mode of libfuse 2: every entry carries the offset of the next one; when the kernel's buffer is
            // full the filler returns 1 and the kernel asks again from the last offset it accepted.
            Pointer statMemory = Memory.allocateDirect(jnr.ffi.Runtime.getSystemRuntime(), Struct.size(new FileStat(jnr.ffi.Runtime.getSystemRuntime())));
            FileStat stat = FileStat.of(statMemory);
            long next = offset;
            while (true) {
                List<DirEntry> entries = fs.readdir(fi.fh.get(), next, READDIR_BATCH);
                if (entries.isEmpty()) {
                    return 0;
                }
                for (DirEntry e : entries) {
                    // use_ino: the kernel shows these inode numbers (ls -i, find -samefile); the type saves a stat.
                    stat.st_ino.set(e.ino());
                    stat.st_mode.set(e.type().modeBits());
                    if (filter.apply(buf, e.name(), stat, e.nextOffset()) != 0) {
                        return 0;
                    }
                    next = e.nextOffset();
                }
            }
        } catch (Throwable e) {
            return Errnos.reply("readdir", e);
        }
    }

    @Override
    public int releasedir(String path, FuseFileInfo fi) {
        try {
            fs.releasedir(fi.fh.get());
            return 0;
        } catch (Throwable e) {
            return Errnos.reply("releasedir", e);
        }
    }

    @Override
    public int fsyncdir(String path, FuseFileInfo fi) {
        try {
            fs.fsyncdir(fi.fh.get(), false);
            return 0;
        } catch (Throwable e) {
            return Errnos.reply("fsyncdir", e);
        }
    }

    // ---- extended attributes ----

    @Override
    public int getxattr(String path, String name, Pointer value, @size_t long size) {
        if (invalid(path) || invalid(name)) {
            return Errnos.of(Errno.EILSEQ);
        }
        try {
            byte[] v = "/".equals(path) && STATUS_XATTR.equals(name)
                    ? status.get().getBytes(StandardCharsets.UTF_8)
                    : fs.getxattr(path, name);
            return copyOut(v, value, size);
        } catch (Throwable e) {
            return Errnos.reply("getxattr", e);
        }
    }

    @Override
    public int setxattr(String path, String name, Pointer value, @size_t long size, int flags) {
        if (invalid(path) || invalid(name)) {
            return Errnos.of(Errno.EILSEQ);
        }
        if ("/".equals(path) && STATUS_XATTR.equals(name)) {
            return Errnos.of(Errno.EPERM);
        }
        try {
            byte[] v = new byte[(int) size];
            value.get(0, v, 0, v.length);
            fs.setxattr(path, name, v, flags, caller());
            return 0;
        } catch (Throwable e) {
            return Errnos.reply("setxattr", e);
        }
    }

    @Override
    public int listxattr(String path, Pointer list, @size_t long size) {
        if (invalid(path)) {
            return Errnos.of(Errno.EILSEQ);
        }
        try {
            StringBuilder names = new StringBuilder();
            for (String n : fs.listxattr(path)) {
                names.append(n).append('\0');
            }
            return copyOut(names.toString().getBytes(StandardCharsets.UTF_8), list, size);
        } catch (Throwable e) {
            return Errnos.reply("listxattr", e);
        }
    }

    @Override
    public int removexattr(String path, String name) {
        if (invalid(path) || invalid(name)) {
            return Errnos.of(Errno.EILSEQ);
        }
        try {
            fs.removexattr(path, name, caller());
            return 0;
        } catch (Throwable e) {
            return Errnos.reply("removexattr", e);
        }
    }

    // ---- helpers ----

    /** libfuse's name for a hidden open file: .fuse_hidden followed by 16 hex digits (fuse.c, hidden_name). */
    static boolean isHiddenName(String path) {
        int slash = path.lastIndexOf('/');
        return path.length() - slash - 1 == HIDDEN_PREFIX.length() + 16 && path.startsWith(HIDDEN_PREFIX, slash + 1)
                && path.substring(slash + 1 + HIDDEN_PREFIX.length()).chars().allMatch(c -> Character.digit(c, 16) >= 0);
    }

    /** True for a name jnr-fuse could not decode as UTF-8 (see the class comment). Null paths are handle calls. */
    static boolean invalid(String path) {
        return path != null && path.indexOf(REPLACEMENT) >= 0;
    }

    final Caller caller() {
        FuseContext c = getContext();
        return new Caller((int) c.uid.get(), (int) c.gid.get(), c.pid.get());
    }

    private static int copyOut(byte[] v, Pointer dst, long size) {
        if (size == 0) {
            return v.length; // the caller asks for the size
        }
        if (size < v.length) {
            return Errnos.of(Errno.ERANGE);
        }
        dst.put(0, v, 0, v.length);
        return v.length;
    }

    private static long nanos(Timespec t) {
        long ns = t.tv_nsec.longValue();
        if (ns == KERNEL_UTIME_NOW) {
            return OpenFlags.UTIME_NOW;
        }
        if (ns == KERNEL_UTIME_OMIT) {
            return OpenFlags.UTIME_OMIT;
        }
        return t.tv_sec.get() * 1_000_000_000L + ns;
    }

    static void fill(FileStat stat, Attributes a) {
        stat.st_ino.set(a.ino());
        stat.st_mode.set(a.mode());
        stat.st_nlink.set(a.nlink());
        stat.st_uid.set(a.uid());
        stat.st_gid.set(a.gid());
        stat.st_size.set(a.size());
        stat.st_blksize.set(Attributes.BLOCK_SIZE);
        stat.st_blocks.set(a.blocks512());
        setTime(stat.st_atim, a.atimeNs());
        setTime(stat.st_mtim, a.mtimeNs());
        setTime(stat.st_ctim, a.ctimeNs());
    }

    private static void setTime(Timespec t, long ns) {
        t.tv_sec.set(Math.floorDiv(ns, 1_000_000_000L));
        t.tv_nsec.set(Math.floorMod(ns, 1_000_000_000L));
    }
}
