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

    EncodedChunk(ChunkRef ref, byte[] stored) {
        this.ref = Objects.requireNonNull(ref, "ref");
        this.stored = Objects.requireNonNull(stored, "stored");
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
        return ByteBuffer.wrap(stored).asReadOnlyBuffer();
    }

    /** The object's size. */
    public int storedLength() {
        return stored.length;
    }

    @Override
    public String toString() {
        return "EncodedChunk[" + ref + "]";
    }
}
