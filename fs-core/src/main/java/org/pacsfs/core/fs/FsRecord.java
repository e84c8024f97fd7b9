package org.pacsfs.core.fs;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The payloads fs-core writes to the write-log (format in docs/FORMAT.md, section "fs-core records"). Two record
 * types: {@link #TYPE_MUTATIONS} (a namespace or attribute change: a list of {@link Mutation}s applied together) and
 * {@link #TYPE_WRITE} (file data plus the file's resulting inode). Both start with the same header: format version,
 * wall-clock time, uid and pid of the caller (history and audit are built on these later).
 */
final class FsRecord {
    static final byte TYPE_MUTATIONS = 1;
    static final byte TYPE_WRITE = 2;
    static final byte VERSION = 1;
    static final int HEADER = 1 + 8 + 4 + 8;

    private FsRecord() {
    }

    /** A decoded header. */
    record Header(long timeNs, int uid, long pid) {
    }

    static ByteBuffer mutations(Header h, List<Mutation> ms) {
        int size = HEADER + 2;
        for (Mutation m : ms) {
            size += m.encodedSize();
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        putHeader(b, h);
        b.putShort((short) ms.size());
        for (Mutation m : ms) {
            m.encode(b);
        }
        return b.flip();
    }

    /**
     * A data write: header, ino, file offset, length, the inode after the write, then the bytes. The bytes come last
     * so that an extent can point into the record at {@code payloadLength - length}.
     */
    static ByteBuffer write(Header h, Inode after, long offset, ByteBuffer data) {
        int len = data.remaining();
        ByteBuffer b = ByteBuffer.allocate(HEADER + 8 + 4 + after.encodedSize() + len);
        putHeader(b, h);
        b.putLong(offset).putInt(len);
        after.encode(b);
        b.put(data.duplicate());
        return b.flip();
    }

    /** A decoded write record; {@code dataOffset} is where the bytes start in the payload. */
    record Write(Header header, long offset, int length, Inode inode, int dataOffset) {
    }

    static Header readHeader(ByteBuffer in) {
        byte v = in.get();
        if (v != VERSION) {
            throw new IllegalStateException("unknown fs record version " + v + " (this build reads " + VERSION + ")");
        }
        return new Header(in.getLong(), in.getInt(), in.getLong());
    }

    static List<Mutation> readMutations(ByteBuffer in) {
        readHeader(in);
        int n = in.getShort() & 0xFFFF;
        List<Mutation> ms = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ms.add(Mutation.decode(in));
        }
        return ms;
    }

    static Write readWrite(ByteBuffer in) {
        Header h = readHeader(in);
        long offset = in.getLong();
        int len = in.getInt();
        Inode inode = Inode.decode(in);
        int dataOffset = in.limit() - len;
        if (in.position() != dataOffset) {
            throw new IllegalStateException("write record length mismatch: header says " + len + " data bytes, payload has " + (in.limit() - in.position()));
        }
        return new Write(h, offset, len, inode, dataOffset);
    }

    /** A write record's header, offset, length and inode without the data (as a metadata log segment holds it). */
    static Write readWriteHeader(ByteBuffer in) {
        Header h = readHeader(in);
        long offset = in.getLong();
        int len = in.getInt();
        Inode inode = Inode.decode(in);
        return new Write(h, offset, len, inode, -1);
    }

    private static void putHeader(ByteBuffer b, Header h) {
        b.put(VERSION).putLong(h.timeNs()).putInt(h.uid()).putLong(h.pid());
    }
}
