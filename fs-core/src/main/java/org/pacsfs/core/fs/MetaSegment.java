package org.pacsfs.core.fs;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * One object of the metadata log in the bucket ({@code log/<seq>}): a batch of operations shipped from one
 * write-log, the chunks they reference (all uploaded before this object is written), and the SHA-256 of the
 * previous segment, so that the log is a hash chain. Written with If-None-Match: that PUT is the commit point.
 * Format: docs/FORMAT.md ("metadata log segments").
 *
 * @param seq         position in the log, 1, 2, 3, ...
 * @param prevSha256  SHA-256 of segment {@code seq - 1} (32 zero bytes for the first)
 * @param fsId        the filesystem (from the superblock)
 * @param walId       the write-log the operations came from
 * @param walLsnFirst first write-log LSN shipped in this segment
 * @param walLsnLast  last write-log LSN shipped in this segment: the writer's local log is released up to it
 * @param chunkRefs   encoded chunk references, indexed by {@link Op#chunkIndex()}
 * @param ops         the operations, in write-log order
 */
record MetaSegment(long seq, byte[] prevSha256, UUID fsId, UUID walId, long walLsnFirst, long walLsnLast,
                   long createdAtNs, List<byte[]> chunkRefs, List<Op> ops) {

    static final long MAGIC = 0x5046534D4C4F4731L; // "PFSMLOG1"
    static final int VERSION = 1;
    static final byte OP_MUTATIONS = FsRecord.TYPE_MUTATIONS;
    static final byte OP_CHUNK_WRITE = 3;
    /** A tail rewrite: bytes the file already had, now also in a new chunk (no change to the file). */
    static final byte OP_CHUNK_REWRITE = 4;
    /**
     * A data write whose bytes later writes of the same segment overwrite completely: only its resulting inode is
     * kept (the bucket's state is only ever seen at segment boundaries, where those bytes are gone).
     */
    static final byte OP_WRITE_SUPERSEDED = 5;
    static final byte[] NO_PREDECESSOR = new byte[32];

    /**
     * One operation. For {@link #OP_MUTATIONS} {@code body} is the write-log payload verbatim (its header carries
     * time, uid, pid). For {@link #OP_CHUNK_WRITE} {@code body} is a write record's header, offset, length and inode
     * (FsRecord.write without the data), and the data is {@code length} bytes at {@code chunkOffset} of chunk
     * {@code chunkIndex}. For {@link #OP_CHUNK_REWRITE} {@code body} is ino (8), file offset (8), length (4): those
     * bytes of the file as of the start of the segment are at {@code chunkOffset} of chunk {@code chunkIndex}.
     */
    record Op(byte type, byte[] body, int chunkIndex, int chunkOffset) {
        boolean hasChunk() {
            return type == OP_CHUNK_WRITE || type == OP_CHUNK_REWRITE;
        }
    }

    byte[] encode() {
        int size = 8 + 4 + 8 + 32 + 16 + 16 + 8 + 8 + 8 + 4 + 4 + 4;
        for (byte[] c : chunkRefs) {
            size += 2 + c.length;
        }
        for (Op op : ops) {
            size += 4 + 1 + op.body.length + (op.hasChunk() ? 8 : 0);
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.putLong(MAGIC).putInt(VERSION).putLong(seq).put(prevSha256);
        putUuid(b, fsId);
        putUuid(b, walId);
        b.putLong(walLsnFirst).putLong(walLsnLast).putLong(createdAtNs).putInt(chunkRefs.size());
        for (byte[] c : chunkRefs) {
            b.putShort((short) c.length).put(c);
        }
        b.putInt(ops.size());
        for (Op op : ops) {
            int len = 1 + op.body.length + (op.hasChunk() ? 8 : 0);
            b.putInt(len).put(op.type).put(op.body);
            if (op.hasChunk()) {
                b.putInt(op.chunkIndex).putInt(op.chunkOffset);
            }
        }
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return b.array();
    }

    /**
     * Parses and verifies a segment object.
     *
     * @throws IllegalArgumentException naming what is wrong (magic, version, checksum, structure)
     */
    static MetaSegment decode(byte[] bytes, String key) {
        if (bytes.length < 8 + 4 + 4) {
            throw new IllegalArgumentException("metadata log segment " + key + " is truncated (" + bytes.length + " bytes)");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (b.getInt(bytes.length - 4) != (int) crc.getValue()) {
            throw new IllegalArgumentException("metadata log segment " + key + " fails its CRC32C: damaged");
        }
        if (b.getLong() != MAGIC) {
            throw new IllegalArgumentException(key + " is not a pacsfs metadata log segment (bad magic)");
        }
        int version = b.getInt();
        if (version != VERSION) {
            throw new IllegalArgumentException("metadata log segment " + key + " has format version " + version
                    + "; this pacsfs reads version " + VERSION + ": upgrade pacsfs");
        }
        try {
            long seq = b.getLong();
            byte[] prev = new byte[32];
            b.get(prev);
            UUID fsId = getUuid(b);
            UUID walId = getUuid(b);
            long first = b.getLong();
            long last = b.getLong();
            long created = b.getLong();
            int nChunks = b.getInt();
            List<byte[]> chunks = new ArrayList<>(nChunks);
            for (int i = 0; i < nChunks; i++) {
                byte[] c = new byte[b.getShort() & 0xFFFF];
                b.get(c);
                chunks.add(c);
            }
            int nOps = b.getInt();
            List<Op> ops = new ArrayList<>(nOps);
            for (int i = 0; i < nOps; i++) {
                int len = b.getInt();
                byte type = b.get();
                boolean chunked = type == OP_CHUNK_WRITE || type == OP_CHUNK_REWRITE;
                int bodyLen = len - 1 - (chunked ? 8 : 0);
                byte[] body = new byte[bodyLen];
                b.get(body);
                int ci = -1;
                int co = 0;
                if (chunked) {
                    ci = b.getInt();
                    co = b.getInt();
                    if (ci < 0 || ci >= nChunks) {
                        throw new IllegalArgumentException("operation " + i + " references chunk " + ci + " of " + nChunks);
                    }
                } else if (type != OP_MUTATIONS && type != OP_WRITE_SUPERSEDED) {
                    throw new IllegalArgumentException("operation " + i + " has unknown type " + type);
                }
                ops.add(new Op(type, body, ci, co));
            }
            if (b.remaining() != 4) {
                throw new IllegalArgumentException(b.remaining() - 4 + " unexpected bytes after the operations");
            }
            return new MetaSegment(seq, prev, fsId, walId, first, last, created, chunks, ops);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("metadata log segment " + key + " is malformed: " + e.getMessage(), e);
        }
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    private static void putUuid(ByteBuffer b, UUID u) {
        b.putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits());
    }

    private static UUID getUuid(ByteBuffer b) {
        return new UUID(b.getLong(), b.getLong());
    }
}
