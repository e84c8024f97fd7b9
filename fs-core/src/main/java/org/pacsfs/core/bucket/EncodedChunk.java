package org.pacsfs.core.bucket;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * A chunk ready for upload: the bytes of the object to put under {@link BucketKeys#chunk} and the
 * {@link ChunkRef} to record in the metadata log once the put succeeded. Immutable.
 */
public final class EncodedChunk {

    private final ChunkRef ref;
    private final byte[] stored;
    private final int offset;
    private final int length;

    /** The object is {@code stored[offset, offset + length)} (a chunk encoded in place shares its caller's array). */
    EncodedChunk(ChunkRef ref, byte[] stored, int offset, int length) {
        this.ref = Objects.requireNonNull(ref, "ref");
        this.stored = Objects.requireNonNull(stored, "stored");
        this.offset = offset;
        this.length = length;
    }

    /** What the metadata log records. */
    public ChunkRef ref() {
        return ref;
    }

    /** The chunk's id (same as {@code ref().id()}). */
    public ChunkId id() {
        return ref.id();
    }

    /** The object's bytes: a new read-only buffer over them at each call, position 0, limit {@link #storedLength()}. */
    public ByteBuffer stored() {
        return ByteBuffer.wrap(stored, offset, length).slice().asReadOnlyBuffer();
    }

    /** The object's size. */
    public int storedLength() {
        return length;
    }

    @Override
    public String toString() {
        return "EncodedChunk[" + ref + "]";
    }
}
