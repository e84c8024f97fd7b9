package org.pacsfs.core.fs;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.bucket.ChunkRef;
import org.pacsfs.core.store.ObjectInfo;
import org.pacsfs.core.store.ObjectStore;

/**
 * A read-only, public view of the bucket's metadata log objects for tools outside the filesystem (verify,
 * versions): decoding a segment ({@link MetaSegment}) and a checkpoint manifest without exposing the mutable
 * internals of the filesystem. Formats: docs/FORMAT.md ("metadata log segments", "checkpoints").
 */
public final class LogSegments {

    /** SHA-256 a segment names as its predecessor when it is the first one. */
    public static final byte[] NO_PREDECESSOR = MetaSegment.NO_PREDECESSOR.clone();

    private LogSegments() {
    }

    /**
     * A decoded segment.
     *
     * @param seq         the position the segment says it holds
     * @param sha256      SHA-256 of the whole object as stored (what its successor must name)
     * @param prevSha256  the SHA-256 it names for its predecessor
     * @param fsId        the filesystem it says it belongs to
     * @param walId       the write-log its operations came from
     * @param createdAtNs when the writer made it, ns since the epoch
     * @param chunks      the chunks it references, each as the log recorded it
     * @param operations  how many operations it holds
     */
    public record Segment(long seq, byte[] sha256, byte[] prevSha256, UUID fsId, UUID walId, long createdAtNs,
                          List<ChunkRef> chunks, int operations) {
    }

    /**
     * Decodes and checks one segment object (CRC32C, magic, version, structure, chunk refs).
     *
     * @param key for messages
     * @throws IllegalArgumentException naming the key and what is wrong
     */
    public static Segment decode(byte[] bytes, String key) {
        MetaSegment s = MetaSegment.decode(bytes, key);
        List<ChunkRef> refs = new ArrayList<>(s.chunkRefs().size());
        for (byte[] r : s.chunkRefs()) {
            try {
                refs.add(ChunkRef.decode(ByteBuffer.wrap(r)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("metadata log segment " + key + " holds a malformed chunk ref: " + e.getMessage(), e);
            }
        }
        return new Segment(s.seq(), MetaSegment.sha256(bytes), s.prevSha256(), s.fsId(), s.walId(), s.createdAtNs(),
                List.copyOf(refs), s.ops().size());
    }

    /** SHA-256 of {@code bytes}. */
    public static byte[] sha256(byte[] bytes) {
        return MetaSegment.sha256(bytes);
    }

    /**
     * What a checkpoint manifest says about the log: the checkpoint was taken after segment {@code seq}, whose
     * SHA-256 was {@code logSha256}.
     */
    public record CheckpointAnchor(long seq, byte[] logSha256, UUID fsId) {
    }

    /**
     * Decodes a checkpoint manifest ({@code checkpoints/<seq>/<name>.manifest}).
     *
     * @throws IllegalArgumentException naming the key and what is wrong
     */
    public static CheckpointAnchor decodeManifest(byte[] bytes, String key) {
        try {
            CheckpointFormat.Manifest m = CheckpointFormat.decodeManifest(bytes, key);
            return new CheckpointAnchor(m.seq(), m.logSha256(), m.fsId());
        } catch (java.nio.BufferUnderflowException e) {
            throw new IllegalArgumentException(key + " is truncated", e);
        }
    }

    /** A checkpoint by position and name ({@code checkpoints/<seq>/<name>.manifest}). */
    public record CheckpointName(long seq, String name) {
        /** A full checkpoint (no chain below it). */
        public boolean full() {
            return name.startsWith(Checkpointer.FULL);
        }
    }

    /** Every checkpoint manifest in the bucket, by position then name (a key that does not fit is skipped). */
    public static List<CheckpointName> listCheckpoints(ObjectStore store, BucketKeys keys) {
        List<CheckpointName> out = new ArrayList<>();
        for (ObjectInfo o : (Iterable<ObjectInfo>) store.listAll(keys.checkpointsPrefix())::iterator) {
            String k = o.key();
            if (k.endsWith(".manifest") && k.indexOf('/', keys.checkpointsPrefix().length() + 21) < 0) {
                try {
                    out.add(new CheckpointName(keys.parseCheckpointSeq(k), k.substring(k.lastIndexOf('/') + 1, k.length() - 9)));
                } catch (IllegalArgumentException e) {
                    // not a checkpoint key: verify names it
                }
            }
        }
        out.sort(java.util.Comparator.comparingLong(CheckpointName::seq).thenComparing(CheckpointName::name));
        return out;
    }

    /**
     * A checkpoint read completely: its manifest, its chain's manifests and every part verify (SHA-256 as recorded).
     *
     * @param logSha256 the SHA-256 it records for the segment it was taken after
     * @param chain     the checkpoints loading it needs, oldest (a full one) first, itself last
     */
    public record VerifiedCheckpoint(byte[] logSha256, List<CheckpointName> chain) {
    }

    /**
     * Reads and checks checkpoint {@code name} at {@code seq} of filesystem {@code fsId} and its chain.
     *
     * @throws RuntimeException naming the object that does not verify
     */
    public static VerifiedCheckpoint verifyCheckpoint(ObjectStore store, BucketKeys keys, UUID fsId, long seq, String name) {
        Checkpointer cp = new Checkpointer(store, keys, fsId, Integer.MAX_VALUE, List.of(), 0);
        List<CheckpointName> chain = cp.verifyWhole(seq, name).stream().map(r -> new CheckpointName(r.seq(), r.name())).toList();
        String key = keys.checkpoint(seq, name + ".manifest");
        return new VerifiedCheckpoint(CheckpointFormat.decodeManifest(store.get(key).bytes(), key).logSha256(), chain);
    }

    /**
     * The chunks the state in checkpoint {@code name} at {@code seq} references, each as the checkpoint recorded its
     * ref, streamed to {@code out}: block entries sort before chunk entries, so the ids seen in extents (16 bytes
     * each) are all that is held. A referenced chunk without a ref in the checkpoint goes to {@code unrecorded}.
     *
     * @throws RuntimeException naming the object that does not verify
     */
    public static void forEachStateChunk(ObjectStore store, BucketKeys keys, UUID fsId, long seq, String name,
                                         java.util.function.Consumer<ChunkRef> out,
                                         java.util.function.Consumer<org.pacsfs.core.bucket.ChunkId> unrecorded) {
        java.util.Set<org.pacsfs.core.bucket.ChunkId> referenced = new java.util.HashSet<>();
        new Checkpointer(store, keys, fsId, Integer.MAX_VALUE, List.of(), 0).forEachEntry(seq, name, e -> {
            if (e.key().kind() == CheckpointKeys.BLOCK) {
                for (Extent x : ExtentList.fromBytes(e.value()).extents()) {
                    if (x.source() == Extent.SOURCE_CHUNK) {
                        referenced.add(org.pacsfs.core.bucket.ChunkId.fromBytes(
                                ByteBuffer.allocate(16).putLong(x.segmentId()).putLong(x.position()).array()));
                    }
                }
            } else if (e.key().kind() == CheckpointKeys.CHUNK) {
                ChunkRef ref = ChunkRef.decode(ByteBuffer.wrap(e.value()));
                if (referenced.remove(ref.id())) {
                    out.accept(ref);
                }
            }
        });
        referenced.forEach(unrecorded);
    }

    /**
     * The checkpoints a checkpoint manifest builds on (its chain, oldest first; empty for a full one).
     *
     * @throws IllegalArgumentException naming the key if the manifest does not verify
     */
    public static List<CheckpointName> checkpointChain(byte[] manifest, String key) {
        try {
            return CheckpointFormat.decodeManifest(manifest, key).chain().stream().map(r -> new CheckpointName(r.seq(), r.name())).toList();
        } catch (java.nio.BufferUnderflowException e) {
            throw new IllegalArgumentException(key + " is truncated", e);
        }
    }
}
