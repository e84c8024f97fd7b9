package org.pacsfs.core.fs;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.bucket.ChunkId;
import org.pacsfs.core.bucket.ChunkRef;
import org.pacsfs.core.bucket.LogBase;
import org.pacsfs.core.bucket.LogBases;
import org.pacsfs.core.store.ObjectInfo;
import org.pacsfs.core.store.ObjectStore;

/**
 * Reads the metadata log of the bucket at mount time: lists the segments, verifies that they form an unbroken hash
 * chain from segment 1, or from the log base after gc pruned the log ({@link #start}; each holds the SHA-256 of its
 * predecessor) belonging to this filesystem, and applies them to
 * an index being rebuilt. A gap, a broken link or a damaged segment stops the mount with a message naming it: the
 * index is never built from a log that is not exactly what was committed.
 */
final class BucketLog {
    /**
     * The head of the log.
     *
     * @param seq     last segment number (0 if none)
     * @param sha256  its SHA-256 (zeros if none)
     * @param writers per write-log, its last shipment
     */
    record Head(long seq, byte[] sha256, Map<UUID, CheckpointFormat.Writer> writers) {
        /** The last LSN of write-log {@code walId} committed in the bucket (0 if none). */
        long shippedLsn(UUID walId) {
            CheckpointFormat.Writer w = writers.get(walId);
            return w == null ? 0 : w.lastLsn();
        }

        /** True if another write-log committed after the last shipment of {@code walId}. */
        boolean foreignAfter(UUID walId) {
            CheckpointFormat.Writer ours = writers.get(walId);
            long after = ours == null ? 0 : ours.lastSeq();
            return writers.entrySet().stream().anyMatch(e -> !e.getKey().equals(walId) && e.getValue().lastSeq() > after);
        }
    }

    private BucketLog() {
    }

    /**
     * The segments of the log, from its first (1, or the log base's) to the last, without a gap. Segments below the
     * log base (left by a prune that was interrupted before its deletes) are not part of the log.
     */
    static List<Long> segmentSeqs(ObjectStore store, BucketKeys keys) {
        return segmentSeqs(store, keys, LogBases.newest(store, keys, null).map(LogBase::seq).orElse(1L));
    }

    /** As {@link #segmentSeqs(ObjectStore, BucketKeys)}, the log beginning at segment {@code first}. */
    static List<Long> segmentSeqs(ObjectStore store, BucketKeys keys, long first) {
        List<Long> seqs = new ArrayList<>();
        for (ObjectInfo o : (Iterable<ObjectInfo>) store.listAll(keys.logPrefix())::iterator) {
            long seq = keys.parseLogSeq(o.key());
            if (seq >= first) {
                seqs.add(seq);
            }
        }
        seqs.sort(Long::compare);
        for (int i = 0; i < seqs.size(); i++) {
            if (seqs.get(i) != first + i) {
                throw new IllegalStateException("the metadata log in " + store.location() + " has a gap: segment " + (first + i)
                        + " is missing (found " + seqs.get(i) + ")" + (first > 1 ? " after the log base at segment " + first : ""));
            }
        }
        return seqs;
    }

    /** The last segment of a list made by {@link #segmentSeqs}, 0 if it is empty. */
    static long last(List<Long> seqs) {
        return seqs.isEmpty() ? 0 : seqs.get(seqs.size() - 1);
    }

    /**
     * Where reading the log starts: the empty log, or, when {@code pacsfs gc} pruned it, the state after the segment
     * before the log base, loaded from the base's checkpoint into {@code index} (if not null).
     *
     * @param base the log base, if any
     * @param head the position to replay from (segment {@code base.seq() - 1}, with the base's predecessor hash)
     */
    record Start(Optional<LogBase> base, Head head) {
        /** The first segment of the log. */
        long firstSeq() {
            return head.seq() + 1;
        }
    }

    /**
     * Reads the log base, if any, and loads its checkpoint into {@code index} (if not null).
     *
     * @throws IllegalStateException if the base does not verify, or its checkpoint cannot be loaded or does not record
     *                               the hash the base names (the state before the base is then lost: run pacsfs verify)
     */
    static Start start(ObjectStore store, BucketKeys keys, UUID fsId, LocalIndex index) {
        Optional<LogBase> base = LogBases.newest(store, keys, fsId);
        if (base.isEmpty()) {
            return new Start(base, empty());
        }
        LogBase b = base.get();
        CheckpointFormat.Manifest m;
        try {
            Checkpointer cp = new Checkpointer(store, keys, fsId, Integer.MAX_VALUE, List.of(), 0);
            m = index == null ? cp.load(b.checkpointSeq(), b.checkpointName(), null).manifest()
                    : cp.load(b.checkpointSeq(), b.checkpointName(), index).manifest();
        } catch (RuntimeException e) {
            throw new IllegalStateException("the log was pruned by pacsfs gc before segment " + b.seq() + ", and its base "
                    + "checkpoint " + keys.checkpoint(b.checkpointSeq(), b.checkpointName() + ".manifest")
                    + " (the only source of the state before it) cannot be used: " + e.getMessage() + " (run pacsfs verify)", e);
        }
        if (!Arrays.equals(m.logSha256(), b.prevSha256())) {
            throw new IllegalStateException("the log base " + keys.logBase(b.seq()) + " and its checkpoint disagree about the "
                    + "SHA-256 of segment " + b.checkpointSeq() + " (run pacsfs verify)");
        }
        return new Start(base, new Head(b.checkpointSeq(), b.prevSha256(), m.writers()));
    }

    /**
     * Reads and verifies every segment after {@code from} (a checkpoint's position, or the empty log), applying
     * each to {@code index} if not null, and returns the head.
     */
    static Head replay(ObjectStore store, BucketKeys keys, UUID fsId, LocalIndex index, Head from) {
        return replay(store, keys, fsId, index, from, Long.MAX_VALUE);
    }

    /** As {@link #replay(ObjectStore, BucketKeys, UUID, LocalIndex, Head)}, stopping after segment {@code upTo}. */
    static Head replay(ObjectStore store, BucketKeys keys, UUID fsId, LocalIndex index, Head from, long upTo) {
        return replay(store, keys, fsId, index, from, upTo, seg -> false);
    }

    /** A segment read from the bucket, with the SHA-256 of its bytes (what its successor must name). */
    record Chained(MetaSegment segment, byte[] sha256) {
    }

    /**
     * Reads segment {@code seq} and checks that it belongs there: this filesystem, this position, and the SHA-256 of
     * its predecessor ({@code prev}). {@code hint} ends the broken-chain message (e.g. what to run).
     *
     * @throws IllegalStateException if it does not
     */
    static Chained readChained(ObjectStore store, BucketKeys keys, UUID fsId, long seq, byte[] prev, String hint) {
        String key = keys.logSegment(seq);
        byte[] bytes = store.get(key).bytes();
        MetaSegment seg = MetaSegment.decode(bytes, key);
        if (seg.seq() != seq || !seg.fsId().equals(fsId)) {
            throw new IllegalStateException(key + " belongs to filesystem " + seg.fsId() + " position " + seg.seq()
                    + ", expected filesystem " + fsId + " position " + seq);
        }
        if (!Arrays.equals(seg.prevSha256(), prev)) {
            throw new IllegalStateException("the hash chain of the metadata log is broken at " + key
                    + ": it does not name the SHA-256 of segment " + (seq - 1) + hint);
        }
        return new Chained(seg, MetaSegment.sha256(bytes));
    }

    /**
     * As {@link #replay(ObjectStore, BucketKeys, UUID, LocalIndex, Head, long)}, also stopping before the first
     * segment (verified, not applied) for which {@code stopBefore} holds: a point-in-time view.
     */
    static Head replay(ObjectStore store, BucketKeys keys, UUID fsId, LocalIndex index, Head from, long upTo,
                       java.util.function.Predicate<MetaSegment> stopBefore) {
        byte[] prev = from.sha256();
        Map<UUID, CheckpointFormat.Writer> writers = new LinkedHashMap<>(from.writers());
        Optional<LogBase> base = LogBases.newest(store, keys, fsId);
        if (base.isPresent() && from.seq() < base.get().checkpointSeq()) {
            throw new IllegalStateException("the log in " + store.location() + " was pruned by pacsfs gc before segment "
                    + base.get().seq() + ": it cannot be read from position " + from.seq() + ", only from its log base");
        }
        List<Long> seqs = segmentSeqs(store, keys, base.map(LogBase::seq).orElse(1L));
        long last = last(seqs);
        for (long seq : seqs) {
            if (seq <= from.seq()) {
                continue;
            }
            if (seq > upTo) {
                break;
            }
            Chained c = readChained(store, keys, fsId, seq, prev, "");
            MetaSegment seg = c.segment();
            if (stopBefore.test(seg)) {
                upTo = seq - 1;
                break;
            }
            if (index != null) {
                apply(seg, index);
            }
            writers.put(seg.walId(), new CheckpointFormat.Writer(seg.walLsnLast(), seq));
            prev = c.sha256();
        }
        long listedUpTo = base.isPresent() && seqs.isEmpty() ? base.get().checkpointSeq() : last;
        if (listedUpTo < from.seq()) {
            throw new IllegalStateException("the bucket has a checkpoint at log position " + from.seq() + " but the log ends at "
                    + "segment " + listedUpTo);
        }
        return new Head(Math.max(from.seq(), Math.min(upTo, last)), prev, writers);
    }

    static Head empty() {
        return new Head(0, MetaSegment.NO_PREDECESSOR, Map.of());
    }

    static void apply(MetaSegment seg, LocalIndex index) {
        List<ChunkId> ids = new ArrayList<>(seg.chunkRefs().size());
        for (byte[] ref : seg.chunkRefs()) {
            ChunkId id = ChunkRef.decode(ByteBuffer.wrap(ref)).id();
            index.putChunkRef(ChunkReader.hi(id), ChunkReader.lo(id), ref);
            ids.add(id);
        }
        for (MetaSegment.Op op : seg.ops()) {
            if (op.type() == MetaSegment.OP_MUTATIONS) {
                index.apply(FsRecord.readMutations(ByteBuffer.wrap(op.body())), 0);
            } else if (op.type() == MetaSegment.OP_WRITE_SUPERSEDED) {
                index.apply(List.of(new Mutation.PutInode(FsRecord.readWriteHeader(ByteBuffer.wrap(op.body())).inode())), 0);
            } else if (op.type() == MetaSegment.OP_CHUNK_REWRITE) {
                ByteBuffer b = ByteBuffer.wrap(op.body());
                ChunkId id = ids.get(op.chunkIndex());
                index.applyRewrite(b.getLong(), b.getLong(), b.getInt(), ChunkReader.hi(id), ChunkReader.lo(id), op.chunkOffset(), null);
            } else {
                ChunkId id = ids.get(op.chunkIndex());
                index.applyChunkWrite(FsRecord.readWriteHeader(ByteBuffer.wrap(op.body())), ChunkReader.hi(id), ChunkReader.lo(id), op.chunkOffset());
            }
        }
    }
}
