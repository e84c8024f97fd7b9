package org.pacsfs.core.fs;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.ByteBuffer;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.bucket.ChunkCodec;
import org.pacsfs.core.bucket.ChunkCorruptException;
import org.pacsfs.core.bucket.ChunkId;
import org.pacsfs.core.bucket.ChunkRef;
import org.pacsfs.core.store.ObjectStore;
import org.pacsfs.core.store.ObjectStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads chunk data from the bucket: one GET of the whole chunk object, verified (CRC32C against the reference the
 * metadata log recorded, then decompressed and length-checked) before any byte is used, and kept decoded in a
 * small memory cache (concurrent misses of one chunk share one GET). A chunk that fails verification is an EIO
 * naming the chunk, never other bytes. The tiered chunk cache of issue 6 replaces the memory cache here.
 */
final class ChunkReader implements ChunkSource {
    private static final Logger LOG = LoggerFactory.getLogger(ChunkReader.class);
    private static final int GET_ATTEMPTS = 5;

    private final ObjectStore store;
    private final BucketKeys keys;
    private final ChunkCodec codec;
    private final LocalIndex index;
    private final Cache<ChunkId, ByteBuffer> cache;

    ChunkReader(ObjectStore store, BucketKeys keys, ChunkCodec codec, LocalIndex index, long cacheBytes) {
        this.store = store;
        this.keys = keys;
        this.codec = codec;
        this.index = index;
        this.cache = Caffeine.newBuilder().maximumWeight(cacheBytes)
                .weigher((ChunkId k, ByteBuffer v) -> v.capacity()).build();
    }

    /** Write-through: a chunk just uploaded is readable without a GET. */
    void offer(ChunkId id, ByteBuffer raw) {
        cache.put(id, raw.asReadOnlyBuffer());
    }

    @Override
    public void read(long idHi, long idLo, int offset, ByteBuffer dst) throws FsException {
        ChunkId id = ChunkId.fromBytes(ByteBuffer.allocate(16).putLong(idHi).putLong(idLo).array());
        ByteBuffer data;
        try {
            data = cache.get(id, this::load);
        } catch (LoadFailure f) {
            throw f.error;
        }
        if (offset < 0 || offset + dst.remaining() > data.limit()) {
            throw new FsException.Io("chunk " + id + " holds " + data.limit() + " bytes; the extent map asks for "
                    + dst.remaining() + " at " + offset, null);
        }
        dst.put(data.duplicate().position(offset).limit(offset + dst.remaining()));
    }

    private ByteBuffer load(ChunkId id) {
        byte[] refBytes = index.chunkRef(hi(id), lo(id));
        if (refBytes == null) {
            throw new LoadFailure(new FsException.Io("chunk " + id + " is referenced but not known to the index", null));
        }
        ChunkRef ref = ChunkRef.decode(ByteBuffer.wrap(refBytes));
        String key = keys.chunk(id);
        for (int attempt = 1; ; attempt++) {
            try {
                byte[] stored = store.get(key).bytes();
                return codec.decode(ref, ByteBuffer.wrap(stored)).asReadOnlyBuffer();
            } catch (ChunkCorruptException e) {
                LOG.error("chunk {} ({}) failed verification: {}", id, key, e.getMessage());
                throw new LoadFailure(new FsException.Io("chunk " + id + " is damaged in the bucket: " + e.getMessage(), e));
            } catch (ObjectStoreException.Transient e) {
                if (attempt >= GET_ATTEMPTS) {
                    throw new LoadFailure(new FsException.Io("chunk " + id + " could not be read from the bucket after "
                            + attempt + " attempts: " + e.getMessage(), e));
                }
                sleep(100L << attempt);
            } catch (ObjectStoreException e) {
                LOG.error("chunk {} ({}) cannot be read: {}", id, key, e.getMessage());
                throw new LoadFailure(new FsException.Io("chunk " + id + " cannot be read from the bucket: " + e.getMessage(), e));
            }
        }
    }

    static long hi(ChunkId id) {
        return ByteBuffer.wrap(id.toBytes()).getLong(0);
    }

    static long lo(ChunkId id) {
        return ByteBuffer.wrap(id.toBytes()).getLong(8);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LoadFailure(new FsException.Io("interrupted while reading a chunk", e));
        }
    }

    /** Carries a checked FsException through Caffeine's loader. */
    private static final class LoadFailure extends RuntimeException {
        final FsException error;

        LoadFailure(FsException error) {
            super(error.getMessage(), null, false, false);
            this.error = error;
        }
    }
}
