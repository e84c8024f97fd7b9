package org.pacsfs.core.fs;

import java.nio.ByteBuffer;
import java.util.List;
import org.pacsfs.wal.RecordPointer;
import org.pacsfs.wal.WriteLog;
import org.pacsfs.wal.WriteLogException;

/**
 * Fills a buffer with file bytes from the extent maps: extents from their write-log records (the log checks that the
 * record at the pointer carries the extent's LSN, so a stale pointer is an error, never other bytes), holes as zeros.
 */
final class DataReader {
    private DataReader() {
    }

    /** Fills all of {@code dst} (position 0 .. limit) with the bytes of {@code ino} from {@code offset}. */
    static void read(WriteLog wal, LocalIndex index, ChunkSource chunks, long ino, long offset, ByteBuffer dst) throws FsException {
        int pos = 0;
        int n = dst.limit();
        while (pos < n) {
            long fileOff = offset + pos;
            long block = fileOff >>> ExtentList.BLOCK_SHIFT;
            int from = (int) (fileOff & (ExtentList.BLOCK_SIZE - 1));
            int to = (int) Math.min(ExtentList.BLOCK_SIZE, from + (long) (n - pos));
            List<Extent> pieces = index.extents(ino, block).within(from, to);
            int cursor = from;
            for (Extent e : pieces) {
                zero(dst, pos + (cursor - from), e.start() - cursor);
                ByteBuffer window = dst.duplicate().position(pos + (e.start() - from)).limit(pos + (e.end() - from));
                if (e.source() == Extent.SOURCE_CHUNK) {
                    chunks.read(e.segmentId(), e.position(), e.payloadOffset(), window);
                } else {
                    copy(wal, ino, e, window);
                }
                cursor = e.end();
            }
            zero(dst, pos + (cursor - from), to - cursor);
            pos += to - from;
        }
    }

    private static final byte[] ZEROS = new byte[64 * 1024];

    private static void zero(ByteBuffer dst, int at, int len) {
        for (int done = 0; done < len; done += ZEROS.length) {
            dst.put(at + done, ZEROS, 0, Math.min(ZEROS.length, len - done));
        }
    }

    private static void copy(WriteLog wal, long ino, Extent e, ByteBuffer window) throws FsException {
        try {
            int got = wal.readPayload(new RecordPointer(e.segmentId(), e.position()), e.lsn(), e.payloadOffset(), window);
            if (got != e.length()) {
                throw new FsException.Io("inode " + ino + ": write-log record LSN " + e.lsn() + " holds " + got
                        + " bytes where the extent map expects " + e.length(), null);
            }
        } catch (WriteLogException | RuntimeException ex) {
            throw new FsException.Io("inode " + ino + ": data in write-log record LSN " + e.lsn() + " cannot be read: " + ex.getMessage(), ex);
        }
    }
}
