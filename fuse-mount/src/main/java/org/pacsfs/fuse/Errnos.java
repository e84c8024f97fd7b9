package org.pacsfs.fuse;

import org.pacsfs.core.fs.Errno;
import org.pacsfs.core.fs.FsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where failures become FUSE replies: an {@link FsException} carries its errno; anything else is a bug
 * or an unexpected I/O failure and becomes EIO with a log line (never a wrong success, never a crashed worker thread).
 */
public final class Errnos {

    private static final Logger LOG = LoggerFactory.getLogger(Errnos.class);

    private Errnos() {
    }

    /** The negative errno FUSE expects for {@code failure} of {@code operation}. */
    public static int reply(String operation, Throwable failure) {
        if (failure instanceof FsException e) {
            if (e.errno() == Errno.EIO) {
                // EIO is always worth a line: data could not be read or written. fs-core's EIO messages name chunks,
                // inodes and log positions, never file names (patient data); other errnos are user-level and stay at debug.
                LOG.error("{} failed: {}", operation, e.getMessage());
            } else if (LOG.isDebugEnabled()) {
                LOG.debug("{}: {} ({})", operation, e.errno(), e.getMessage());
            }
            return -e.errno().value();
        }
        LOG.error("{} failed unexpectedly", operation, failure);
        return -Errno.EIO.value();
    }

    /** -errno for a condition the adapter detects itself. */
    public static int of(Errno errno) {
        return -errno.value();
    }
}
