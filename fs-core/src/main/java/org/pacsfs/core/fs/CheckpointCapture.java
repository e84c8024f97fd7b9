package org.pacsfs.core.fs;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The changed part of the index as of write-log LSN {@link #lsn()}, taken while writes go on: a checkpoint under
 * sustained load (docs/DECISIONS.md, "Checkpoints under load").
 *
 * <p>Captured with the {@link Gate} closed for as long as it takes to copy the changed keys' values, so the copy is
 * exactly the state after record {@code lsn} — but records up to {@code lsn} may not be shipped yet, so some block
 * values still point into the write-log. The flusher then ends a batch exactly at {@code lsn} and, as each batch up
 * to there commits, moves this copy the way it moves the index ({@link #rewrite}, {@link #repoint}: the same
 * functions). When the segment ending at {@code lsn} is committed, every extent of the copy points at a chunk and
 * the copy is the state as of that segment: the checkpoint at its sequence number.
 *
 * <p>Confined to the flusher thread.
 */
final class CheckpointCapture {
    private final long lsn;
    private final Set<CheckpointKeys.Key> dirty;
    private final TreeMap<CheckpointKeys.Key, byte[]> values;
    private final long maxIno;

    private CheckpointCapture(long lsn, Set<CheckpointKeys.Key> dirty, TreeMap<CheckpointKeys.Key, byte[]> values, long maxIno) {
        this.lsn = lsn;
        this.dirty = dirty;
        this.values = values;
        this.maxIno = maxIno;
    }

    /**
     * Takes the changed keys and copies their values. The caller has closed the gate (nothing changes the index but
     * the calling thread) and passes the write-log's last LSN, which the copy then describes.
     */
    static CheckpointCapture take(LocalIndex index, long lsn) {
        Set<CheckpointKeys.Key> dirty = index.takeDirty();
        TreeMap<CheckpointKeys.Key, byte[]> values = new TreeMap<>();
        try {
            for (CheckpointKeys.Key k : dirty) {
                values.put(k, index.valueOf(k));
            }
        } catch (RuntimeException e) {
            index.restoreDirty(dirty); // or the next incremental checkpoint would miss these changes
            throw e;
        }
        long maxIno = index.maxIno.get();
        return new CheckpointCapture(lsn, dirty, values, maxIno);
    }

    long lsn() {
        return lsn;
    }

    long maxIno() {
        return maxIno;
    }

    /** The keys taken from the index: given back if the checkpoint is not written, so the next one includes them. */
    Set<CheckpointKeys.Key> dirty() {
        return dirty;
    }

    /** A committed tail rewrite, as {@link LocalIndex#applyRewrite} applies it to the index. */
    void rewrite(long ino, long offset, int length, long idHi, long idLo, int chunkOffset, Set<List<Long>> onlyFrom) {
        int done = 0;
        while (done < length) {
            long block = (offset + done) >>> ExtentList.BLOCK_SHIFT;
            int inBlock = (int) ((offset + done) & (ExtentList.BLOCK_SIZE - 1));
            int n = Math.min(length - done, ExtentList.BLOCK_SIZE - inBlock);
            CheckpointKeys.Key key = CheckpointKeys.block(LocalIndex.blockKey(ino, block));
            byte[] v = values.get(key);
            if (v != null) {
                Extent moved = new Extent(inBlock, n, Extent.SOURCE_CHUNK, idHi, idLo, 0, chunkOffset + done);
                values.put(key, LocalIndex.rewritten(ExtentList.fromBytes(v), moved, onlyFrom).toBytes());
            }
            done += n;
        }
    }

    /** A committed write, as {@link LocalIndex#repoint} applies it to the index. */
    void repoint(long ino, long fileOffset, int length, long recordLsn, int dataOffset, long idHi, long idLo, int chunkOffset) {
        if (recordLsn > lsn || length <= 0) {
            return;
        }
        long firstBlock = fileOffset >>> ExtentList.BLOCK_SHIFT;
        long lastBlock = (fileOffset + length - 1) >>> ExtentList.BLOCK_SHIFT;
        for (long block = firstBlock; block <= lastBlock; block++) {
            CheckpointKeys.Key key = CheckpointKeys.block(LocalIndex.blockKey(ino, block));
            byte[] v = LocalIndex.repointed(values.get(key), recordLsn, dataOffset, idHi, idLo, chunkOffset);
            if (v != null) {
                values.put(key, v);
            }
        }
    }

    /**
     * The checkpoint entries, once the segment ending at {@link #lsn()} is committed: the copied values plus the
     * chunk references their blocks need (from the index, which has every committed chunk's reference).
     *
     * @throws IllegalStateException if a block still points into the write-log (a record up to {@code lsn} that
     *                               was not shipped): the checkpoint would not be the state of the bucket
     */
    List<CheckpointFormat.Entry> entries(LocalIndex index) {
        TreeMap<CheckpointKeys.Key, byte[]> out = new TreeMap<>(values);
        for (Map.Entry<CheckpointKeys.Key, byte[]> e : values.entrySet()) {
            if (e.getValue() == null || e.getKey().kind() != CheckpointKeys.BLOCK) {
                continue;
            }
            for (Extent x : ExtentList.fromBytes(e.getValue()).extents()) {
                if (x.source() != Extent.SOURCE_CHUNK) {
                    throw new IllegalStateException("block " + e.getKey() + " still points at write-log record " + x.lsn()
                            + " after the segment ending at LSN " + lsn + " was committed");
                }
                byte[] ck = ByteBuffer.allocate(16).putLong(x.segmentId()).putLong(x.position()).array();
                out.computeIfAbsent(CheckpointKeys.chunk(ck), index::valueOf);
            }
        }
        List<CheckpointFormat.Entry> list = new java.util.ArrayList<>(out.size());
        out.forEach((k, v) -> list.add(new CheckpointFormat.Entry(k, v)));
        return list;
    }
}
