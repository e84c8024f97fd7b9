package org.pacsfs.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32C;

/** A loader over an "origin" of chunks whose stored form is CRC32C (4 bytes) + data; counts fetches. */
final class TestLoader implements ChunkLoader {
    final Map<ChunkKey, byte[]> origin = new ConcurrentHashMap<>();
    final AtomicInteger fetches = new AtomicInteger();
    volatile long fetchDelayMs;
    volatile IOException failure;

    /** A chunk of {@code size} random bytes in the origin. */
    ChunkKey add(long id, int size) {
        byte[] data = new byte[size];
        new Random(id).nextBytes(data);
        ChunkKey key = new ChunkKey(id, ~id);
        origin.put(key, data);
        return key;
    }

    byte[] data(ChunkKey key) {
        return origin.get(key);
    }

    @Override
    public ByteBuffer fetch(ChunkKey key) throws IOException {
        fetches.incrementAndGet();
        if (fetchDelayMs > 0) {
            try {
                Thread.sleep(fetchDelayMs);
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
        }
        if (failure != null) {
            throw failure;
        }
        byte[] data = origin.get(key);
        if (data == null) {
            throw new IOException("no chunk " + key);
        }
        return ByteBuffer.allocate(4 + data.length).putInt(crc(ByteBuffer.wrap(data))).put(data).flip();
    }

    @Override
    public ByteBuffer decode(ChunkKey key, ByteBuffer stored) throws CorruptChunkException {
        ByteBuffer data = stored.slice(stored.position() + 4, stored.remaining() - 4);
        if (crc(data.duplicate()) != stored.getInt(stored.position())) {
            throw new CorruptChunkException("chunk " + key + ": CRC32C does not match", null);
        }
        return data;
    }

    static int crc(ByteBuffer b) {
        CRC32C c = new CRC32C();
        c.update(b);
        return (int) c.getValue();
    }
}
