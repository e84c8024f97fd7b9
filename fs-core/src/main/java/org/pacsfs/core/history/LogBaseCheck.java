package org.pacsfs.core.history;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.bucket.LogBase;
import org.pacsfs.core.bucket.LogBases;
import org.pacsfs.core.fs.LogSegments;
import org.pacsfs.core.store.ObjectInfo;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.ObjectStoreException;

/**
 * verify's judgement of the log base ({@link LogBase}): where the walk starts and with which predecessor hash.
 *
 * <p>The newest object under {@code logbase/} is the base. It must decode (magic, version, CRC32C), sit under its own
 * position's key and belong to this filesystem; its checkpoint must be there and verify completely and record the
 * same SHA-256 for segment B-1 as the base does (the walk then checks that segment B names it too). A base whose
 * time is later than now minus the filesystem's retention, later than its own run's cutoff, or that records a
 * shorter retention than the filesystem's claims more pruning than the retention allows. A base that does not
 * verify is a problem; the walk then starts at its position without judging the first link, so that the pruned
 * segments are not each reported missing on top of it.
 */
final class LogBaseCheck {

    /**
     * Where the walk starts.
     *
     * @param base      the log base (null: none, or it does not verify)
     * @param firstSeq  the first segment of the log (1 without a base)
     * @param prev      what segment {@code firstSeq} must name as its predecessor (null: not judged)
     */
    record Start(LogBase base, long firstSeq, byte[] prev) {
    }

    private LogBaseCheck() {
    }

    static Start check(ObjectStore store, BucketKeys keys, UUID fsId, Duration retention, Instant now, Consumer<Problem> problems) {
        for (ObjectInfo o : (Iterable<ObjectInfo>) store.listAll(keys.logBasePrefix())::iterator) {
            try {
                keys.parseLogBaseSeq(o.key());
            } catch (IllegalArgumentException e) {
                problems.accept(new Problem(Problem.Kind.UNEXPECTED_OBJECT, relative(keys, o.key()), "not a log base key: " + e.getMessage()));
            }
        }
        Map.Entry<Long, String> newest = LogBases.list(store, keys).lastEntry();
        if (newest == null) {
            return new Start(null, 1, LogSegments.NO_PREDECESSOR);
        }
        String rel = relative(keys, newest.getValue());
        LogBase base;
        try {
            base = LogBases.check(store.get(newest.getValue()).bytes(), rel, newest.getKey(), fsId);
        } catch (IllegalStateException e) {
            problems.accept(new Problem(Problem.Kind.LOG_BASE_DAMAGED, rel, e.getMessage()));
            return new Start(null, newest.getKey(), null);
        } catch (ObjectStoreException e) {
            problems.accept(new Problem(Problem.Kind.UNREADABLE, rel, e.getMessage()));
            return new Start(null, newest.getKey(), null);
        }
        boolean tied = checkpointTies(store, keys, base, rel, problems);
        judgeTime(base, rel, retention, now, problems);
        return new Start(base, base.seq(), tied ? base.prevSha256() : null);
    }

    private static boolean checkpointTies(ObjectStore store, BucketKeys keys, LogBase base, String rel, Consumer<Problem> problems) {
        String cp = relative(keys, keys.checkpoint(base.checkpointSeq(), base.checkpointName() + ".manifest"));
        try {
            LogSegments.VerifiedCheckpoint v = LogSegments.verifyCheckpoint(store, keys, base.fsId(), base.checkpointSeq(),
                    base.checkpointName());
            if (!Arrays.equals(v.logSha256(), base.prevSha256())) {
                problems.accept(new Problem(Problem.Kind.LOG_BASE_DAMAGED, rel, "its checkpoint " + cp + " records another SHA-256 "
                        + "for segment " + base.checkpointSeq() + " than the base does"));
                return false;
            }
            return true;
        } catch (ObjectStoreException.NotFound e) {
            problems.accept(new Problem(Problem.Kind.LOG_BASE_DAMAGED, rel, "its checkpoint " + cp + " (the only source of the "
                    + "state before segment " + base.seq() + ") is not in the bucket: " + e.getMessage()));
        } catch (RuntimeException e) {
            problems.accept(new Problem(Problem.Kind.LOG_BASE_DAMAGED, rel, "its checkpoint " + cp + " (the only source of the "
                    + "state before segment " + base.seq() + ") does not verify: " + e.getMessage()));
        }
        return false;
    }

    private static void judgeTime(LogBase base, String rel, Duration retention, Instant now, Consumer<Problem> problems) {
        Instant allowed = now.minus(retention);
        if (base.time().isAfter(allowed)) {
            problems.accept(new Problem(Problem.Kind.LOG_BASE_TOO_RECENT, rel, "history before " + base.time() + " was pruned, "
                    + "but the retention (" + org.pacsfs.core.bucket.FsSettings.describe(retention) + ") keeps everything after "
                    + allowed));
        } else if (base.time().isAfter(base.runCutoff())) {
            problems.accept(new Problem(Problem.Kind.LOG_BASE_TOO_RECENT, rel, "history before " + base.time() + " was pruned, "
                    + "after the cutoff " + base.runCutoff() + " of the gc run that wrote it"));
        } else if (base.retentionSeconds() < retention.getSeconds()) {
            problems.accept(new Problem(Problem.Kind.LOG_BASE_TOO_RECENT, rel, "the gc run that wrote it used a retention of "
                    + base.retentionSeconds() + " s, shorter than the filesystem's " + retention.getSeconds() + " s"));
        }
    }

    private static String relative(BucketKeys keys, String key) {
        return key.startsWith(keys.prefix()) ? key.substring(keys.prefix().length()) : key;
    }
}
