package org.pacsfs.core.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.bucket.ChunkId;
import org.pacsfs.core.bucket.ChunkRef;
import org.pacsfs.core.bucket.LogBase;
import org.pacsfs.core.bucket.Superblock;
import org.pacsfs.core.bucket.SuperblockException;
import org.pacsfs.core.store.ObjectStore;

/**
 * Which chunks the history of a filesystem still needs at a retention cutoff, for GC.
 *
 * <p>The <b>base</b> is the state "as of the cutoff" exactly as history defines it (docs/HISTORY.md, "Times"): the
 * state after the longest run of segments from the first whose times are all at or before the cutoff. Every state
 * a history command can show for a time at or after the cutoff is the base or the state after a later segment. A
 * later state can only reference a chunk that the base references or that a later segment introduced (a write or a
 * tail rewrite always puts its bytes into a chunk of its own segment; nothing ever points back at an older chunk),
 * so the chunks to {@linkplain Result#keep() keep} are: those the base's extents point at, plus every chunk a
 * segment after the base references. A chunk that only segments up to the base reference was unreferenced at the
 * latest by the base's last segment, i.e. at or before the cutoff: {@linkplain Result#expired() expired}.
 *
 * <p>The log is walked from its start (segment 1, or the log base's checkpoint when gc pruned it) with the hash chain checked (as a mount does), segments up to the base are
 * applied to a private index under {@code scratch}; later segments are only read for their chunk refs. Memory: the
 * two sets of chunk ids (about 100 bytes per chunk). Reads only; not thread-safe.
 */
public final class ChunkReachability {

    /** Told after each segment read. */
    public interface Progress {
        void segmentRead(long seq, long lastSeq);
    }

    /**
     * @param fsId        the filesystem (from the superblock)
     * @param headSeq     the last segment listed (0: empty log)
     * @param headSha256  its SHA-256 (zeros for an empty log)
     * @param baseSeq     the last segment of the base (0: no segment is that old)
     * @param baseSha256  its SHA-256 (zeros when {@code baseSeq} is 0)
     * @param baseTime    its time (null when {@code baseSeq} is 0)
     * @param keep        chunks the base or a later segment references
     * @param expired     chunks only segments up to the base reference (not in {@code keep}), or the log base's state
     * @param logBase     the log base the walk started from (null: the log was never pruned, it starts at segment 1)
     * @param latestTimes for the segments from the first of the log up to the base, in order: the latest time of that
     *                    segment and all before it since the first (ns since the epoch); what a log base at the next
     *                    segment would record as the time history begins
     */
    public record Result(UUID fsId, long headSeq, byte[] headSha256, long baseSeq, byte[] baseSha256, Instant baseTime,
                         Set<ChunkId> keep, Set<ChunkId> expired, LogBase logBase, long[] latestTimes) {

        /** The first segment of the log: 1, or the log base's. */
        public long firstSeq() {
            return logBase == null ? 1 : logBase.seq();
        }

        /**
         * The time a log base at segment {@code seq} (first kept; {@code firstSeq() < seq <= baseSeq() + 1}) records:
         * the latest time of every segment it prunes, and of the current base's pruned ones.
         */
        public Instant pruneTime(long seq) {
            long ns = latestTimes[(int) (seq - 1 - firstSeq())];
            Instant t = Instant.ofEpochSecond(0, ns);
            return logBase != null && logBase.time().isAfter(t) ? logBase.time() : t;
        }
    }

    private ChunkReachability() {
    }

    /**
     * Walks the log of the filesystem under {@code prefix} of {@code store}.
     *
     * @param scratch an empty directory for the private index (the caller owns and deletes it)
     * @param config  index sizing (its state directory is ignored)
     * @throws FsException.Io if there is no filesystem, the log has a gap or a broken link, or cannot be read
     */
    public static Result compute(ObjectStore store, String prefix, Path scratch, FsConfig config, Instant cutoff,
                                 Progress progress) throws FsException {
        BucketKeys keys = BucketKeys.under(prefix);
        try {
            UUID fsId = Superblock.read(store, keys).orElseThrow(() -> new IllegalStateException(
                    "the bucket holds no pacsfs filesystem (no superblock)")).fsId();
            try (LocalIndex index = LocalIndex.createEmpty(scratch.resolve("gc-index"), config.indexSizing())) {
                BucketLog.Start start = BucketLog.start(store, keys, fsId, index);
                List<Long> seqs = BucketLog.segmentSeqs(store, keys, start.firstSeq());
                return walk(store, keys, fsId, seqs, index, start, cutoff, progress);
            }
        } catch (IOException | SuperblockException | RuntimeException e) {
            throw new FsException.Io("cannot walk the metadata log of " + store.location() + ": " + e.getMessage(), e);
        }
    }

    private static Result walk(ObjectStore store, BucketKeys keys, UUID fsId, List<Long> seqs, LocalIndex index,
                               BucketLog.Start start, Instant cutoff, Progress progress) {
        Set<ChunkId> early = new HashSet<>();
        Set<ChunkId> keep = new HashSet<>();
        // The log base's state (its checkpoint) stands for the pruned segments: the chunks it references are theirs.
        referencedBy(index, early);
        LogBase logBase = start.base().orElse(null);
        byte[] prev = start.head().sha256();
        long baseSeq = start.head().seq();
        byte[] baseSha = start.head().sha256();
        Instant baseTime = logBase == null ? null : logBase.time();
        // A base later than this cutoff (a run with a longer --retention than the one that pruned): the state as of
        // the cutoff is gone; the base's state is the oldest left, and its chunks are kept (they are in its extents).
        long[] latest = new long[16];
        int nLatest = 0;
        long running = Long.MIN_VALUE;
        boolean inBase = true;
        long last = seqs.isEmpty() ? 0 : seqs.get(seqs.size() - 1);
        for (long seq : seqs) {
            BucketLog.Chained c = BucketLog.readChained(store, keys, fsId, seq, prev, " (run pacsfs verify)");
            MetaSegment seg = c.segment();
            Instant time = FileHistory.segmentTime(seg);
            inBase = inBase && !time.isAfter(cutoff);
            if (inBase) {
                BucketLog.apply(seg, index);
                refs(seg, early);
                baseSeq = seq;
                baseSha = c.sha256();
                baseTime = time;
                running = Math.max(running, time.getEpochSecond() * 1_000_000_000L + time.getNano());
                if (nLatest == latest.length) {
                    latest = java.util.Arrays.copyOf(latest, nLatest * 2);
                }
                latest[nLatest++] = running;
            } else {
                refs(seg, keep);
            }
            prev = c.sha256();
            progress.segmentRead(seq, last);
        }
        referencedBy(index, keep);
        early.removeAll(keep);
        return new Result(fsId, Math.max(last, start.head().seq()), prev, baseSeq, baseSha, baseTime, keep, early, logBase,
                java.util.Arrays.copyOf(latest, nLatest));
    }

    private static void refs(MetaSegment seg, Set<ChunkId> into) {
        for (byte[] r : seg.chunkRefs()) {
            into.add(ChunkRef.decode(ByteBuffer.wrap(r)).id());
        }
    }

    /** Every chunk an extent of the index points at. */
    private static void referencedBy(LocalIndex index, Set<ChunkId> into) {
        index.forEachKey(k -> {
            if (k.kind() != CheckpointKeys.BLOCK) {
                return;
            }
            byte[] v = index.valueOf(k);
            if (v == null) {
                return;
            }
            for (Extent x : ExtentList.fromBytes(v).extents()) {
                if (x.source() == Extent.SOURCE_CHUNK) {
                    into.add(ChunkId.fromBytes(ByteBuffer.allocate(16).putLong(x.segmentId()).putLong(x.position()).array()));
                }
            }
        });
    }
}
