package org.pacsfs.core.fs;

import java.time.Instant;
import org.pacsfs.core.bucket.FsSettings;

/**
 * Write-once-read-many rules of a filesystem created with WORM on ({@link FsSettings#worm()}); docs/SEMANTICS.md, WORM.
 *
 * <p>A regular file is <em>write-once</em> when nobody has it open for writing and its last change (its ctime, which
 * every change of content, attributes or names of the file moves) is at least the grace period ago, until that change
 * plus the retention. No new state is kept: ctime is in the log and the checkpoints, so the rule holds the same after
 * a remount and on another machine. A ctime in the future (this machine's clock is behind the writer's) counts as
 * write-once: clock skew never opens a file early by going backwards, only a clock set forward ends a retention early
 * (which Object Lock, enforced by the S3 server's clock, guards against where the bucket has it).
 *
 * <p>Immutable and thread-safe; the caller holds the inode's lock, so the open-for-writing state cannot change under
 * the check.
 */
final class Worm {
    static final Worm OFF = new Worm(FsSettings.DEFAULTS);

    private final FsSettings settings;
    private final long graceNs;
    private final long retentionNs;

    Worm(FsSettings settings) {
        this.settings = settings;
        this.graceNs = settings.wormGrace().toNanos();
        this.retentionNs = settings.retention().toNanos();
    }

    FsSettings settings() {
        return settings;
    }

    /** Whether {@code in} may not be changed at {@code nowNs}. */
    boolean immutable(Inode in, boolean openForWriting, long nowNs) {
        if (!settings.worm() || in.type() != FileType.REGULAR || openForWriting) {
            return false;
        }
        boolean settled = nowNs < in.ctime() || nowNs - in.ctime() >= graceNs;
        return settled && nowNs < retainedUntilNs(in);
    }

    /** When the retention of {@code in}'s current version ends (ns since the epoch). */
    long retainedUntilNs(Inode in) {
        long until = in.ctime() + retentionNs;
        return until < in.ctime() ? Long.MAX_VALUE : until;
    }

    /** Throws EPERM, naming {@code operation} and when the file can be changed, if {@code in} is write-once now. */
    void check(Inode in, boolean openForWriting, long nowNs, String what, String operation) throws FsException.Denied {
        if (immutable(in, openForWriting, nowNs)) {
            throw new FsException.Denied(Errno.EPERM, what + ": " + operation + " refused: the file is write-once (WORM) until "
                    + instant(retainedUntilNs(in)) + " (its last change at " + instant(in.ctime()) + " plus the retention of "
                    + FsSettings.describe(settings.retention()) + ")");
        }
    }

    private static Instant instant(long ns) {
        return Instant.ofEpochSecond(Math.floorDiv(ns, 1_000_000_000L), Math.floorMod(ns, 1_000_000_000L));
    }
}
