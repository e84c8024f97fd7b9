package org.pacsfs.core.fs;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.bucket.ChunkId;
import org.pacsfs.core.bucket.ChunkRef;
import org.pacsfs.core.store.ObjectInfo;
import org.pacsfs.core.store.ObjectStore;

/**
 * Reads the metadata log of the bucket at mount time: lists the segments, verifies that they form an unbroken hash
 * chain from segment 1 (each holds the SHA-256 of its predecessor) belonging to this filesystem, and applies them to
 * an index being rebuilt. A gap, a broken link or a damaged segment stops the mount with a message naming it: the
 * index is never built from a log that is not exactly what was committed.
 */
final class BucketLog {
    /**
     * The head of the log.
     *
     * @param seq            last segment number (0 if none)
     * @param sha256         its SHA-256 (zeros if none)
     * @param ourShippedLsn  the last LSN of this machine's write-log committed in the log (0 if none)
     * @param foreignAfterUs true if a segment from another write-log follows the last one of ours
     */
    record Head(long seq, byte[] sha256, long ourShippedLsn, boolean foreignAfterUs) {
    }

    private BucketLog() {
    }

    static List<Long> segmentSeqs(ObjectStore store, BucketKeys keys) {
        List<Long> seqs = new ArrayList<>();
        for (ObjectInfo o : (Iterable<ObjectInfo>) store.listAll(keys.logPrefix())::iterator) {
            seqs.add(keys.parseLogSeq(o.key()));
        }
        seqs.sort(Long::compare);
        for (int i = 0; i < seqs.size(); i++) {
            if (seqs.get(i) != i + 1) {
                throw new IllegalStateException("the metadata log in " + store.location() + " has a gap: segment " + (i + 1)
                        + " is missing (found " + seqs.get(i) + ")");
            }
        }
        return seqs;
    }

    /**
     * The head without replaying: reads segments backwards from the last until one shipped from {@code walId}
     * (usually the last itself). For a mount whose local index is trusted.
     */
    static Head head(ObjectStore store, BucketKeys keys, UUID fsId, UUID walId) {
        List<Long> seqs = segmentSeqs(store, keys);
        if (seqs.isEmpty()) {
            return new Head(0, MetaSegment.NO_PREDECESSOR, 0, false);
        }
        long last = seqs.size();
        byte[] headSha = null;
        boolean foreign = false;
        for (long seq = last; seq >= 1; seq--) {
            String key = keys.logSegment(seq);
            byte[] bytes = store.get(key).bytes();
            MetaSegment seg = MetaSegment.decode(bytes, key);
            if (!seg.fsId().equals(fsId)) {
                throw new IllegalStateException(key + " belongs to filesystem " + seg.fsId() + ", expected " + fsId);
            }
            if (headSha == null) {
                headSha = MetaSegment.sha256(bytes);
            }
            if (seg.walId().equals(walId)) {
                return new Head(last, headSha, seg.walLsnLast(), foreign);
            }
            foreign = true;
        }
        return new Head(last, headSha, 0, false);
    }

    /** Reads, verifies and (if {@code index} is not null) applies every segment; returns the head. */
    static Head replay(ObjectStore store, BucketKeys keys, UUID fsId, UUID walId, LocalIndex index) {
        byte[] prev = MetaSegment.NO_PREDECESSOR;
        long ours = 0;
        boolean foreignAfterUs = false;
        List<Long> seqs = segmentSeqs(store, keys);
        for (long seq : seqs) {
            String key = keys.logSegment(seq);
            byte[] bytes = store.get(key).bytes();
            MetaSegment seg = MetaSegment.decode(bytes, key);
            if (seg.seq() != seq || !seg.fsId().equals(fsId)) {
                throw new IllegalStateException(key + " belongs to filesystem " + seg.fsId() + " position " + seg.seq()
                        + ", expected filesystem " + fsId + " position " + seq);
            }
            if (!Arrays.equals(seg.prevSha256(), prev)) {
                throw new IllegalStateException("the hash chain of the metadata log is broken at " + key
                        + ": it does not name the SHA-256 of segment " + (seq - 1));
            }
            if (index != null) {
                apply(seg, index);
            }
            if (seg.walId().equals(walId)) {
                ours = seg.walLsnLast();
                foreignAfterUs = false;
            } else if (ours > 0) {
                foreignAfterUs = true;
            }
            prev = MetaSegment.sha256(bytes);
        }
        return new Head(seqs.size(), prev, ours, foreignAfterUs);
    }

    private static void apply(MetaSegment seg, LocalIndex index) {
        List<ChunkId> ids = new ArrayList<>(seg.chunkRefs().size());
        for (byte[] ref : seg.chunkRefs()) {
            ChunkId id = ChunkRef.decode(ByteBuffer.wrap(ref)).id();
            index.putChunkRef(ChunkReader.hi(id), ChunkReader.lo(id), ref);
            ids.add(id);
        }
        for (MetaSegment.Op op : seg.ops()) {
            if (op.type() == MetaSegment.OP_MUTATIONS) {
                index.apply(FsRecord.readMutations(ByteBuffer.wrap(op.body())), 0);
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
