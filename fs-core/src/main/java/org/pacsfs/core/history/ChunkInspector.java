package org.pacsfs.core.history;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.bucket.ChunkCodec;
import org.pacsfs.core.bucket.ChunkCorruptException;
import org.pacsfs.core.bucket.ChunkRef;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.ObjectStoreException;

/**
 * Checks one chunk object against what the metadata log recorded about it: shared by {@link LogVerifier} (which
 * reports) and {@link Scrubber} (which also repairs). Thread-safe.
 */
final class ChunkInspector {

    /** What one look at a chunk object found. */
    sealed interface Finding {
        /** The object is there and verifies ({@code storedBytes} read). */
        record Intact(long storedBytes) implements Finding { }

        /** No object under the key. */
        record Missing() implements Finding { }

        /** The object is there but differs from the log's record. */
        record Damaged(long storedBytes, String mismatch, String etag) implements Finding { }

        /** The object could not be read (permissions, a persistent server error): neither intact nor known damaged. */
        record Unreadable(String message) implements Finding { }
    }

    private final ObjectStore store;
    private final BucketKeys keys;
    private final ChunkCodec codec = new ChunkCodec();

    ChunkInspector(ObjectStore store, BucketKeys keys) {
        this.store = store;
        this.keys = keys;
    }

    /** GETs the chunk object of {@code ref} and compares it with the log's record. */
    Finding inspect(ChunkRef ref) {
        org.pacsfs.core.store.ObjectData data;
        try {
            data = store.get(keys.chunk(ref.id()));
        } catch (ObjectStoreException.NotFound e) {
            return new Finding.Missing();
        } catch (ObjectStoreException e) {
            return new Finding.Unreadable(e.getMessage());
        }
        byte[] bytes = data.bytes();
        String mismatch = mismatch(ref, bytes);
        return mismatch == null ? new Finding.Intact(bytes.length) : new Finding.Damaged(bytes.length, mismatch, data.etag());
    }

    /**
     * What differs between {@code stored} (an object's bytes, from the bucket or a local copy) and the log's record
     * of it, or null when they are exactly the object the log recorded: size, CRC32C, SHA-256, then header and payload.
     */
    String mismatch(ChunkRef ref, byte[] stored) {
        if (stored.length != ref.storedLength()) {
            return "object is " + stored.length + " bytes, the log recorded " + ref.storedLength();
        }
        CRC32C crc = new CRC32C();
        crc.update(stored);
        if ((int) crc.getValue() != ref.crc32c()) {
            return String.format("CRC32C is %08x, the log recorded %08x", (int) crc.getValue(), ref.crc32c());
        }
        if (!codec.verifySha256(ref, ByteBuffer.wrap(stored))) {
            return "SHA-256 differs from the one the log recorded (same CRC32C: deliberate tampering?)";
        }
        try {
            codec.decode(ref, ByteBuffer.wrap(stored));
            return null;
        } catch (ChunkCorruptException e) {
            return "header or payload does not verify: " + e.getMessage();
        }
    }
}
