package org.pacsfs.fuse;

import java.util.function.Supplier;
import jnr.ffi.Pointer;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import org.pacsfs.core.audit.AuditKind;
import org.pacsfs.core.audit.AuditSink;
import org.pacsfs.core.fs.FileSystem;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * The FUSE adapter with the access audit on ({@code pacsfs mount --audit-key-file}): each audited operation runs as in
 * {@link FuseAdapter} and is then reported to the {@link AuditSink} with the request's uid, gid and pid and its result.
 * Kept apart so that a mount without audit runs the plain adapter, with no cost at all. Reads and writes only add to
 * the handle's counters (one event per open handle, at its last close); metadata reads (getattr, readdir, access,
 * getxattr, readlink) are not audited (docs/AUDIT.md).
 */
final class AuditingFuseAdapter extends FuseAdapter {

    private final FileSystem fs;
    private final AuditSink audit;

    AuditingFuseAdapter(FileSystem fs, Supplier<String> status, AuditSink audit) {
        super(fs, status);
        this.fs = fs;
        this.audit = audit;
    }

    @Override
    public int create(String path, @mode_t long mode, FuseFileInfo fi) {
        int r = super.create(path, mode, fi);
        int flags = fi.flags.get();
        if (r == 0) {
            long fh = fi.fh.get();
            audit.opened(fh, AuditKind.CREATE, caller(), path, inoOf(fh), flags, mode & 07777);
        } else {
            audit.event(AuditKind.CREATE, caller(), path, "", -1, -r, flags, mode & 07777);
        }
        return r;
    }

    @Override
    public int open(String path, FuseFileInfo fi) {
        int r = super.open(path, fi);
        int flags = fi.flags.get();
        if (r == 0) {
            long fh = fi.fh.get();
            audit.opened(fh, AuditKind.OPEN, caller(), path, inoOf(fh), flags);
        } else {
            audit.event(AuditKind.OPEN, caller(), path, "", inoOf(path), -r, flags);
        }
        return r;
    }

    @Override
    public int read(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        int r = super.read(path, buf, size, offset, fi);
        audit.read(fi.fh.get(), r);
        return r;
    }

    @Override
    public int write(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        int r = super.write(path, buf, size, offset, fi);
        audit.wrote(fi.fh.get(), r);
        return r;
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        int r = super.release(path, fi);
        audit.released(fi.fh.get());
        return r;
    }

    @Override
    public int ftruncate(String path, @off_t long size, FuseFileInfo fi) {
        long fh = fi.fh.get();
        int r = super.ftruncate(path, size, fi);
        String p = audit.pathOf(fh);
        audit.event(AuditKind.TRUNCATE, caller(), p != null ? p : String.valueOf(path), "", inoOf(fh), -r, size);
        return r;
    }

    @Override
    public int truncate(String path, @off_t long size) {
        long ino = inoOf(path);
        int r = super.truncate(path, size);
        audit.event(AuditKind.TRUNCATE, caller(), path, "", ino, -r, size);
        return r;
    }

    @Override
    public int unlink(String path) {
        if (isHiddenName(path)) {
            return super.unlink(path); // libfuse removing its hidden name at the last close: the unlink was recorded
        }
        long ino = inoOf(path);
        int r = super.unlink(path);
        audit.event(AuditKind.UNLINK, caller(), path, "", ino, -r);
        return r;
    }

    @Override
    public int rename(String oldpath, String newpath) {
        long ino = inoOf(oldpath);
        int r = super.rename(oldpath, newpath);
        if (isHiddenName(newpath)) {
            // libfuse hides an open file that is unlinked: to the application this was unlink(2)
            audit.event(AuditKind.UNLINK, caller(), oldpath, "", ino, -r);
        } else {
            audit.event(AuditKind.RENAME, caller(), oldpath, newpath, ino, -r);
        }
        return r;
    }

    @Override
    public int mkdir(String path, @mode_t long mode) {
        int r = super.mkdir(path, mode);
        audit.event(AuditKind.MKDIR, caller(), path, "", r == 0 ? inoOf(path) : -1, -r, mode & 07777);
        return r;
    }

    @Override
    public int rmdir(String path) {
        long ino = inoOf(path);
        int r = super.rmdir(path);
        audit.event(AuditKind.RMDIR, caller(), path, "", ino, -r);
        return r;
    }

    @Override
    public int mknod(String path, @mode_t long mode, long rdev) {
        int r = super.mknod(path, mode, rdev);
        audit.event(AuditKind.CREATE, caller(), path, "", r == 0 ? inoOf(path) : -1, -r, 0, mode & 07777);
        return r;
    }

    @Override
    public int symlink(String oldpath, String newpath) {
        int r = super.symlink(oldpath, newpath);
        audit.event(AuditKind.SYMLINK, caller(), newpath, oldpath, r == 0 ? inoOf(newpath) : -1, -r);
        return r;
    }

    @Override
    public int link(String oldpath, String newpath) {
        long ino = inoOf(oldpath);
        int r = super.link(oldpath, newpath);
        audit.event(AuditKind.LINK, caller(), oldpath, newpath, ino, -r);
        return r;
    }

    @Override
    public int chmod(String path, @mode_t long mode) {
        long ino = inoOf(path);
        int r = super.chmod(path, mode);
        audit.event(AuditKind.CHMOD, caller(), path, "", ino, -r, mode & 07777);
        return r;
    }

    @Override
    public int chown(String path, long uid, long gid) {
        long ino = inoOf(path);
        int r = super.chown(path, uid, gid);
        audit.event(AuditKind.CHOWN, caller(), path, "", ino, -r, (int) uid, (int) gid);
        return r;
    }

    @Override
    public int utimens(String path, Timespec[] timespec) {
        long ino = inoOf(path);
        int r = super.utimens(path, timespec);
        audit.event(AuditKind.UTIMENS, caller(), path, "", ino, -r);
        return r;
    }

    @Override
    public int setxattr(String path, String name, Pointer value, @size_t long size, int flags) {
        long ino = inoOf(path);
        int r = super.setxattr(path, name, value, size, flags);
        audit.event(AuditKind.SETXATTR, caller(), path, name, ino, -r);
        return r;
    }

    @Override
    public int removexattr(String path, String name) {
        long ino = inoOf(path);
        int r = super.removexattr(path, name);
        audit.event(AuditKind.REMOVEXATTR, caller(), path, name, ino, -r);
        return r;
    }

    private long inoOf(String path) {
        try {
            return path == null || invalid(path) ? -1 : fs.getattr(path).ino();
        } catch (Exception e) {
            return -1;
        }
    }

    private long inoOf(long fh) {
        try {
            return fs.getattr(fh).ino();
        } catch (Exception e) {
            return -1;
        }
    }
}
