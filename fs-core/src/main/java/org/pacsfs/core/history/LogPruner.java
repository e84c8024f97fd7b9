package org.pacsfs.core.history;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.bucket.LogBase;
import org.pacsfs.core.bucket.LogBases;
import org.pacsfs.core.fs.ChunkReachability;
import org.pacsfs.core.fs.LogSegments;
import org.pacsfs.core.store.BatchDeleteResult;
import org.pacsfs.core.store.ObjectInfo;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.ObjectStoreException;
import org.pacsfs.core.store.PutCondition;

/**
 * Prunes the metadata log for {@link GarbageCollector} (docs/HISTORY.md, "pacsfs gc", and docs/DECISIONS.md).
 *
 * <p><b>Where the log may start.</b> History promises every state from the cutoff ({@code now - retention}) on. The
 * state as of the cutoff is the one after the GC base segment ({@link ChunkReachability.Result#baseSeq()}), so the
 * states history must still show are that one and those after later segments. The log can therefore start at
 * segment {@code B = C + 1} for a checkpoint at {@code C <= baseSeq} that verifies completely (manifest, chain, every
 * part) and whose recorded hash is the one segment {@code B} names: the checkpoint is then the state after {@code C},
 * and {@code C + 1 .. baseSeq} are kept. The newest such checkpoint is taken; the head segment is always kept (so
 * that verify still has a head to anchor). Every segment {@code < B} has a time at or before the cutoff (it is in
 * the run of segments the cutoff state is made of).
 *
 * <p><b>Order, so that a crash leaves a valid bucket.</b> The {@link LogBase} is written first (create-once); only
 * then are segments below {@code B}, checkpoints before {@code C} that no kept checkpoint's chain needs, and older log
 * bases deleted. If the base cannot be written, nothing is deleted. Every reader ignores what lies below the newest
 * base, so a crash between the two steps leaves a valid bucket, and the next run deletes the left-overs (they are
 * in its plan as objects below the current base). A delete the server refuses (Object Lock still protecting an
 * object) is reported and leaves the object, which is harmless for the same reason.
 */
final class LogPruner {
    private LogPruner() {
    }

    /** Decides what to prune; reads only. */
    static LogPrune plan(ObjectStore store, BucketKeys keys, ChunkReachability.Result reach, UUID runId, long runStartMs,
                         Duration retention) {
        LogBase current = reach.logBase();
        long first = reach.firstSeq();
        long maxCheckpoint = Math.min(reach.baseSeq(), reach.headSeq() - 1);
        List<LogSegments.CheckpointName> checkpoints = LogSegments.listCheckpoints(store, keys);
        LogBase newBase = null;
        String why = null;
        if (reach.baseSeq() < first) {
            why = "no segment of the log is older than the cutoff";
        } else {
            List<String> refused = new ArrayList<>();
            newBase = choose(store, keys, reach, checkpoints, first, maxCheckpoint, refused, runId, runStartMs, retention);
            if (newBase == null) {
                why = "no usable checkpoint at segments " + first + ".." + maxCheckpoint + " (at or before the cutoff, before the head)"
                        + (refused.isEmpty() ? ": mounts write checkpoints on schedule and at a clean unmount" : ": " + String.join("; ", refused));
            }
        }
        LogBase effective = newBase != null ? newBase : current;
        if (effective == null) {
            return new LogPrune(null, null, List.of(), 0, List.of(), 0, List.of(), why);
        }
        List<String> segments = new ArrayList<>();
        long segmentBytes = 0;
        for (ObjectInfo o : (Iterable<ObjectInfo>) store.listAll(keys.logPrefix())::iterator) {
            if (seqOf(keys, o.key()) < effective.seq()) {
                segments.add(o.key());
                segmentBytes += o.size();
            }
        }
        List<String> cpKeys = new ArrayList<>();
        long cpBytes = 0;
        Set<String> needed = neededCheckpoints(store, keys, checkpoints, effective.checkpointSeq());
        for (ObjectInfo o : (Iterable<ObjectInfo>) store.listAll(keys.checkpointsPrefix())::iterator) {
            if (prunableCheckpointObject(keys, o.key(), effective.checkpointSeq(), needed)) {
                cpKeys.add(o.key());
                cpBytes += o.size();
            }
        }
        List<String> bases = LogBases.list(store, keys).headMap(effective.seq(), false).values().stream().toList();
        return new LogPrune(newBase, current, segments, segmentBytes, cpKeys, cpBytes, bases, why);
    }

    /** The newest checkpoint at {@code first..max} that can carry the state before a new base; null if none. */
    private static LogBase choose(ObjectStore store, BucketKeys keys, ChunkReachability.Result reach,
                                  List<LogSegments.CheckpointName> checkpoints, long first, long max, List<String> refused,
                                  UUID runId, long runStartMs, Duration retention) {
        for (int i = checkpoints.size() - 1; i >= 0; i--) {
            LogSegments.CheckpointName cp = preferFull(checkpoints, i);
            i = firstIndexAt(checkpoints, i);
            if (cp.seq() < first || cp.seq() > max) {
                continue;
            }
            try {
                LogSegments.VerifiedCheckpoint v = LogSegments.verifyCheckpoint(store, keys, reach.fsId(), cp.seq(), cp.name());
                String next = keys.logSegment(cp.seq() + 1);
                byte[] named = LogSegments.decode(store.get(next).bytes(), next).prevSha256();
                if (!Arrays.equals(named, v.logSha256())) {
                    refused.add("checkpoint " + cp.seq() + " " + cp.name() + " records another SHA-256 for its segment than "
                            + next + " names");
                    continue;
                }
                return new LogBase(reach.fsId(), cp.seq() + 1, v.logSha256(), cp.name(), reach.pruneTime(cp.seq() + 1),
                        retention.getSeconds(), runStartMs, runId);
            } catch (RuntimeException e) {
                refused.add("checkpoint " + cp.seq() + " " + cp.name() + " does not verify: " + e.getMessage());
            }
        }
        return null;
    }

    /** Of the checkpoints at the position of entry {@code i}, a full one if there is one (it needs no chain). */
    private static LogSegments.CheckpointName preferFull(List<LogSegments.CheckpointName> all, int i) {
        for (int j = firstIndexAt(all, i); j <= i; j++) {
            if (all.get(j).full()) {
                return all.get(j);
            }
        }
        return all.get(i);
    }

    private static int firstIndexAt(List<LogSegments.CheckpointName> all, int i) {
        int j = i;
        while (j > 0 && all.get(j - 1).seq() == all.get(i).seq()) {
            j--;
        }
        return j;
    }

    /**
     * The checkpoints ({@code seq/name}) that must stay: every one at or after the base's position, and every one
     * their chains name (an incremental is useless without them; a running mount builds its next one on its chain).
     */
    private static Set<String> neededCheckpoints(ObjectStore store, BucketKeys keys, List<LogSegments.CheckpointName> all,
                                                 long baseCheckpoint) {
        Set<String> needed = new HashSet<>();
        for (LogSegments.CheckpointName cp : all) {
            if (cp.seq() < baseCheckpoint) {
                continue;
            }
            needed.add(cp.seq() + "/" + cp.name());
            String key = keys.checkpoint(cp.seq(), cp.name() + ".manifest");
            try {
                LogSegments.checkpointChain(store.get(key).bytes(), key).forEach(r -> needed.add(r.seq() + "/" + r.name()));
            } catch (IllegalArgumentException | ObjectStoreException.NotFound e) {
                // a damaged manifest needs nothing; verify names it
            }
        }
        return needed;
    }

    /** An object of a checkpoint before {@code baseCheckpoint} that no needed checkpoint is: may go. */
    private static boolean prunableCheckpointObject(BucketKeys keys, String key, long baseCheckpoint, Set<String> needed) {
        long seq;
        try {
            seq = keys.parseCheckpointSeq(key);
        } catch (IllegalArgumentException e) {
            return false; // not ours: never touched
        }
        String rest = key.substring(keys.checkpointPrefix(seq).length());
        int dot = rest.indexOf('.');
        if (seq >= baseCheckpoint || dot < 0) {
            return false;
        }
        return !needed.contains(seq + "/" + rest.substring(0, dot));
    }

    private static long seqOf(BucketKeys keys, String key) {
        try {
            return keys.parseLogSeq(key);
        } catch (IllegalArgumentException e) {
            return Long.MAX_VALUE; // not a segment key: never touched
        }
    }

    /**
     * Carries out {@code prune}: the base first, then the deletes.
     *
     * @throws GcException if the base cannot be written (then nothing was deleted) or a request fails
     */
    static LogPrune.Outcome apply(ObjectStore store, BucketKeys keys, LogPrune prune) throws GcException {
        if (prune.isEmpty()) {
            return LogPrune.Outcome.NONE;
        }
        if (prune.newBase() != null) {
            writeBase(store, keys, prune.newBase());
        }
        List<BatchDeleteResult.Failure> failures = new ArrayList<>();
        try {
            BatchDeleteResult segs = store.deleteAll(prune.segmentKeys());
            failures.addAll(segs.failures());
            long segBytes = segs.failures().isEmpty() ? prune.segmentBytes() : 0; // sizes per key are not kept: all or reported
            BatchDeleteResult cps = store.deleteAll(prune.checkpointKeys());
            BatchDeleteResult bases = store.deleteAll(prune.baseKeys());
            failures.addAll(cps.failures());
            failures.addAll(bases.failures());
            return new LogPrune.Outcome(prune.newBase() != null, prune.segmentKeys().size() - segs.failures().size(), segBytes,
                    prune.checkpointKeys().size() - cps.failures().size() + prune.baseKeys().size() - bases.failures().size(),
                    failures);
        } catch (ObjectStoreException e) {
            throw new GcException("pruning the log stopped: " + e.getMessage() + "; the log base is written, so the bucket is "
                    + "valid: run pacsfs gc --apply again to finish", e);
        }
    }

    private static void writeBase(ObjectStore store, BucketKeys keys, LogBase base) throws GcException {
        String key = keys.logBase(base.seq());
        byte[] bytes = base.encode();
        try {
            store.put(key, java.nio.ByteBuffer.wrap(bytes), PutCondition.ifNoneMatch());
            return;
        } catch (ObjectStoreException.PreconditionFailed e) {
            // written before: by this run's retried request, or an interrupted run that chose the same base
        } catch (ObjectStoreException e) {
            throw new GcException("cannot write the log base " + key + ": " + e.getMessage() + "; nothing was pruned", e);
        }
        try {
            LogBase there = LogBases.check(store.get(key).bytes(), key, base.seq(), base.fsId());
            if (!there.checkpointName().equals(base.checkpointName()) || !Arrays.equals(there.prevSha256(), base.prevSha256())) {
                throw new GcException("a log base " + key + " exists with another checkpoint or hash: nothing was pruned (run "
                        + "pacsfs verify)");
            }
        } catch (ObjectStoreException | IllegalStateException e) {
            throw new GcException("a log base " + key + " exists and cannot be used: " + e.getMessage() + "; nothing was pruned", e);
        }
    }
}
