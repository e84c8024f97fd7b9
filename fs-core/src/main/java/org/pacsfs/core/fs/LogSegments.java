package org.pacsfs.core.fs;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.pacsfs.core.bucket.ChunkRef;

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
}
