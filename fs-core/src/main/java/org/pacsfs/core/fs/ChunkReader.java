package org.pacsfs.core.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import org.pacsfs.cache.CacheConfig;
import org.pacsfs.cache.ChunkCache;
import org.pacsfs.cache.ChunkKey;
import org.pacsfs.cache.ChunkLoadException;
import org.pacsfs.cache.ChunkLoader;
import org.pacsfs.cache.CorruptChunkException;
import org.pacsfs.cache.TieredChunkCache;
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
 * Reads chunk data through the tiered {@link ChunkCache}: chunks that read-ahead pinned first, then memory, disk, and
 * on a miss one GET of the whole chunk object. Whatever comes from the bucket or from the disk tier is verified by
 * {@link ChunkCodec#decode} against the {@link ChunkRef} the metadata log recorded (CRC32C of the object, header,
 * decompression, CRC32C of the data) before any byte is used; a chunk that fails in the bucket is an EIO naming the
 * chunk, never other bytes (a disk block that fails is dropped and the chunk fetched again).
 */
final class ChunkReader implements ChunkSource, ChunkLoader {
    private static final Logger LOG = LoggerFactory.getLogger(ChunkReader.class);
    private static final int GET_ATTEMPTS = 5;

    private final ObjectStore store;
    private final BucketKeys keys;
    private final ChunkCodec codec;
    private final LocalIndex index;
    private final ChunkCache cache;
    private final PinnedChunks pins;
    private final java.util.concurrent.atomic.LongAdder retries = new java.util.concurrent.atomic.LongAdder();
    /**
     * Set for a view of the past (mount --read-only --at, cat/restore --at): a chunk missing from the bucket is then
     * most likely one that pacsfs gc removed because only history older than the retention needed it, which is
     * expected, not the loss of live data.
     */
    private volatile java.time.Instant viewAt;
    /** Chunks already reported missing in such a view: one log line per chunk, not one per read. */
    private final java.util.Set<ChunkKey> reportedMissing = java.util.concurrent.ConcurrentHashMap.newKeySet();

    ChunkReader(ObjectStore store, BucketKeys keys, ChunkCodec codec, LocalIndex index, ChunkCache cache, PinnedChunks pins) {
        this.store = store;
        this.keys = keys;
        this.codec = codec;
        this.index = index;
        this.cache = cache;
        this.pins = pins;
    }

    /**
     * A reader with a memory tier of {@code memoryBytes} only, no disk tier and no read-ahead, for views that must not
     * take the cache directory of a filesystem (lost+found reads another machine's state while the target is open).
     * It starts no threads, so it needs no closing.
     */
    ChunkReader(ObjectStore store, BucketKeys keys, ChunkCodec codec, LocalIndex index, long memoryBytes) {
        this(store, keys, codec, index, TieredChunkCache.open(CacheConfig.defaults().withMemoryBytes(memoryBytes)
                .withDisk(0, 0).withReadAhead(0, 0), null), new PinnedChunks(0));
    }

    /**
     * Write-through: a chunk just uploaded is readable without a GET. The cache may keep {@code raw} itself (no copy):
     * the caller must not modify those bytes afterwards.
     */
    void offer(ChunkId id, ByteBuffer raw) {
        cache.putUnshared(new ChunkKey(hi(id), lo(id)), raw);
    }

    /**
     * The stored bytes of a chunk just uploaded, for the disk tier: a re-read of what was just written after the memory
     * tier moved on is then served from the local disk, not by a GET (issue 9: re-reading a 1 GiB file just written made
     * 100-200 GETs). Read back, the block is verified against the log's checksums like any other.
     */
    void offerStored(ChunkId id, ByteBuffer stored, int storedCrc32c) {
        cache.putStored(new ChunkKey(hi(id), lo(id)), stored, java.util.OptionalInt.of(storedCrc32c));
    }

    @Override
    public void read(long idHi, long idLo, int offset, ByteBuffer dst) throws FsException {
        ChunkKey key = new ChunkKey(idHi, idLo);
        ByteBuffer data = data(key);
        if (offset < 0 || offset + dst.remaining() > data.limit()) {
            throw new FsException.Io("chunk " + key + " holds " + data.limit() + " bytes; the extent map asks for "
                    + dst.remaining() + " at " + offset, null);
        }
        dst.put(data.position(offset).limit(offset + dst.remaining()));
    }

    private ByteBuffer data(ChunkKey key) throws FsException {
        ByteBuffer pinned = pins.dataIfLoaded(key);
        if (pinned != null) {
            return pinned;
        }
        try {
            return cache.get(key, this);
        } catch (ChunkLoadException e) {
            if (e.corrupt()) {
                LOG.error("chunk {} failed verification: {}", key, e.getMessage());
                throw new FsException.Io("chunk " + key + " is damaged in the bucket: " + e.getMessage(), e);
            }
            throw new FsException.Io("chunk " + key + " cannot be read from the bucket: " + e.getMessage(), e);
        }
    }

    /** Marks this reader as serving a view of the filesystem as of {@code at} (see {@link #viewAt}). */
    ChunkReader viewOfThePast(java.time.Instant at) {
        this.viewAt = java.util.Objects.requireNonNull(at, "at");
        return this;
    }

    /** Starts loading a chunk in the background (read-ahead). */
    CompletableFuture<ByteBuffer> prefetch(ChunkKey key) {
        return cache.prefetch(key, this);
    }

    /** The data length of a chunk the index knows, or -1. */
    int rawLength(ChunkKey key) {
        byte[] ref = index.chunkRef(key.hi(), key.lo());
        return ref == null ? -1 : ChunkRef.decode(ByteBuffer.wrap(ref)).rawLength();
    }

    /** GETs of chunks repeated after a transient failure, since start. */
    long retries() {
        return retries.sum();
    }

    @Override
    public ByteBuffer fetch(ChunkKey key) throws IOException {
        ref(key); // an unknown chunk fails here, before any GET
        String objectKey = keys.chunk(ChunkId.fromBytes(ByteBuffer.allocate(16).putLong(key.hi()).putLong(key.lo()).array()));
        for (int attempt = 1; ; attempt++) {
            try {
                return ByteBuffer.wrap(store.get(objectKey).bytes());
            } catch (ObjectStoreException.Transient e) {
                if (attempt >= GET_ATTEMPTS) {
                    throw new IOException("chunk " + key + " could not be read after " + attempt + " attempts: " + e.getMessage(), e);
                }
                retries.increment();
                sleep(100L << attempt);
            } catch (ObjectStoreException.NotFound e) {
                java.time.Instant at = viewAt;
                if (at == null) {
                    LOG.error("chunk {} ({}) cannot be read: {}", key, objectKey, e.getMessage());
                    throw new IOException("chunk " + key + ": " + e.getMessage(), e);
                }
                if (reportedMissing.size() < 10_000 && reportedMissing.add(key)) {
                    LOG.warn("chunk {} ({}) of the view as of {} is no longer in the bucket: pacsfs gc removes chunks that only "
                            + "history older than the retention needs; reads of the files that used it fail (EIO)", key, objectKey, at);
                }
                throw new IOException("chunk " + key + " is no longer in the bucket: the view is as of " + at
                        + ", and pacsfs gc removes chunks that only history older than the retention needs", e);
            } catch (ObjectStoreException e) {
                LOG.error("chunk {} ({}) cannot be read: {}", key, objectKey, e.getMessage());
                throw new IOException("chunk " + key + ": " + e.getMessage(), e);
            }
        }
    }

    @Override
    public ByteBuffer decode(ChunkKey key, ByteBuffer stored) throws CorruptChunkException {
        try {
            return codec.decode(ref(key), stored);
        } catch (ChunkCorruptException | IOException e) {
            throw new CorruptChunkException(e.getMessage(), e);
        }
    }

    /** The CRC32C the metadata log recorded for the whole object: {@link #decode} has just checked the bytes against it. */
    @Override
    public OptionalInt storedCrc32c(ChunkKey key) {
        byte[] ref = index.chunkRef(key.hi(), key.lo());
        return ref == null ? OptionalInt.empty() : OptionalInt.of(ChunkRef.decode(ByteBuffer.wrap(ref)).crc32c());
    }

    private ChunkRef ref(ChunkKey key) throws IOException {
        byte[] refBytes = index.chunkRef(key.hi(), key.lo());
        if (refBytes == null) {
            throw new IOException("chunk " + key + " is referenced but not known to the index");
        }
        return ChunkRef.decode(ByteBuffer.wrap(refBytes));
    }

    static long hi(ChunkId id) {
        return ByteBuffer.wrap(id.toBytes()).getLong(0);
    }

    static long lo(ChunkId id) {
        return ByteBuffer.wrap(id.toBytes()).getLong(8);
    }

    private static void sleep(long ms) throws IOException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading a chunk", e);
        }
    }
}
