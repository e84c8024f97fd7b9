package org.pacsfs.fuse.bench;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import jnr.ffi.Pointer;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;

/**
 * The anchor for the mount's dd figures: a jnr-fuse filesystem that accepts writes to any file and does nothing with
 * them, mounted with the same options as pacsfs. What `dd` achieves on it is the ceiling of the FUSE path itself on
 * this machine (kernel, libfuse 2, jnr-ffi upcall, the copy into Java). Usage (root):
 * {@code java -cp ... org.pacsfs.fuse.bench.NullFuseMain MOUNTPOINT} then dd into MOUNTPOINT/x; Ctrl-C to end.
 */
public final class NullFuseMain extends FuseStubFS {

    private final AtomicLong size = new AtomicLong();
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong getxattrs = new AtomicLong();

    public static void main(String[] args) throws Exception {
        NullFuseMain fs = new NullFuseMain();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("writes " + fs.writes.get() + ", getxattr " + fs.getxattrs.get());
            fs.umount();
        }));
        fs.mount(Path.of(args[0]), true, false, new String[] {"-o", "big_writes,max_write=131072,max_read=131072,use_ino,allow_other,default_permissions"});
    }

    @Override
    public int getattr(String path, FileStat stat) {
        if (path.equals("/")) {
            stat.st_mode.set(FileStat.S_IFDIR | 0755);
            stat.st_nlink.set(2);
        } else {
            stat.st_mode.set(FileStat.S_IFREG | 0644);
            stat.st_nlink.set(1);
            stat.st_size.set(size.get());
        }
        return 0;
    }

    @Override
    public int create(String path, @mode_t long mode, FuseFileInfo fi) {
        size.set(0);
        return 0;
    }

    @Override
    public int open(String path, FuseFileInfo fi) {
        return 0;
    }

    @Override
    public int truncate(String path, @off_t long s) {
        size.set(s);
        return 0;
    }

    @Override
    public int write(String path, Pointer buf, @size_t long n, @off_t long offset, FuseFileInfo fi) {
        byte[] copy = new byte[(int) n];
        buf.get(0, copy, 0, (int) n); // the same copy into Java the adapter makes
        writes.incrementAndGet();
        size.accumulateAndGet(offset + n, Math::max);
        return (int) n;
    }

    @Override
    public int getxattr(String path, String name, Pointer value, @size_t long s) {
        getxattrs.incrementAndGet();
        return -61; // ENODATA, as pacsfs answers for an absent attribute
    }

    @Override
    public int fsync(String path, int isdatasync, FuseFileInfo fi) {
        return 0;
    }

    @Override
    public int flush(String path, FuseFileInfo fi) {
        return 0;
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        return 0;
    }
}
