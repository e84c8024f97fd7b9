package org.pacsfs.core.fs;

import java.nio.ByteBuffer;

/** Where {@link DataReader} gets the bytes of extents stored in chunks. */
interface ChunkSource {
    /** Copies {@code dst.remaining()} bytes from {@code offset} of the chunk's data into {@code dst}. */
    void read(long idHi, long idLo, int offset, ByteBuffer dst) throws FsException;

    /** For a filesystem without a bucket: no extent can point at a chunk. */
    ChunkSource NONE = (hi, lo, offset, dst) -> {
        throw new FsException.Io("an extent points at a chunk but this filesystem has no bucket", null);
    };
}
