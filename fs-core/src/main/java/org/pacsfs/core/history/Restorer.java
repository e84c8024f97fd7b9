package org.pacsfs.core.history;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import org.pacsfs.core.fs.Caller;
import org.pacsfs.core.fs.FileHistory;
import org.pacsfs.core.fs.FileSystem;
import org.pacsfs.core.fs.FsException;
import org.pacsfs.core.fs.OpenFlags;

/**
 * Brings back a file as of a time, as a new change of a filesystem opened for writing (the caller holds the lease).
 * History is never rewritten: the restored content becomes the newest version, and the versions in between stay.
 *
 * <p>Atomic for readers: the content is written under a temporary name beside the destination
 * ({@code .<name>.pacsfs-restore-<random>}), made durable, given the version's permission bits and owner, and renamed
 * over the destination; a failure removes the temporary file. The modification time is that of the restore (it is a
 * new change; backup tools must see it), not the version's.
 */
public final class Restorer {
    private Restorer() {
    }

    /**
     * Restores {@code path} as of {@code at} from {@code history} to {@code to} in {@code target}.
     *
     * @return the version restored
     * @throws FsException.NotFound if the path named no file then, or the destination's directory does not exist
     */
    public static FileHistory.Version restore(FileHistory history, String path, Instant at, FileSystem target, String to)
            throws FsException, IOException {
        String tmp = temporaryName(to);
        long fh = target.create(tmp, 0600, OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_EXCL, Caller.ROOT);
        boolean done = false;
        try {
            FileHistory.Version v;
            try {
                v = history.readAt(path, at, new Writer(target, fh));
                target.fsync(fh, false);
            } finally {
                target.release(fh);
            }
            target.chmod(tmp, v.perm());
            target.chown(tmp, v.owner(), v.group());
            target.rename(tmp, to, 0);
            done = true;
            return v;
        } finally {
            if (!done) {
                try {
                    target.unlink(tmp);
                } catch (FsException e) {
                    // already gone; the original failure is what matters
                }
            }
        }
    }

    /** {@code .<name>.pacsfs-restore-<8 hex>} in the destination's directory. */
    public static String temporaryName(String to) {
        int slash = to.lastIndexOf('/');
        String suffix = ".pacsfs-restore-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        return to.substring(0, slash + 1) + "." + to.substring(slash + 1) + suffix;
    }

    /** Writes a stream into an open file of a {@link FileSystem}, in order from offset 0. */
    private static final class Writer extends OutputStream {
        private final FileSystem fs;
        private final long fh;
        private long offset;

        Writer(FileSystem fs, long fh) {
            this.fs = fs;
            this.fh = fh;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            // Pieces of at most 1 MiB: the filesystem logs a write as records of that size.
            for (int done = 0; done < len; ) {
                int n = Math.min(len - done, 1 << 20);
                try {
                    fs.write(fh, offset, ByteBuffer.wrap(b, off + done, n));
                } catch (FsException e) {
                    throw new IOException("writing the restored file failed: " + e.getMessage(), e);
                }
                offset += n;
                done += n;
            }
        }
    }
}
