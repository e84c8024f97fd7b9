package org.pacsfs.core.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A capture taken with writes still in the write-log: later changes do not reach it, committed batches move it
 * exactly as they move the index, and it refuses to become a checkpoint while anything points into the log.
 */
class CheckpointCaptureTest {
    private static final long INO = 5;
    private static final FsRecord.Header H = new FsRecord.Header(0, 0, 0);

    @TempDir
    Path dir;
    LocalIndex index;

    @BeforeEach
    void open() throws Exception {
        index = LocalIndex.createEmpty(dir, new IndexSizing(1_000, 10_000));
        index.trackChanges();
    }

    @AfterEach
    void close() throws Exception {
        index.close();
    }

    private static Inode file(long size) {
        return new Inode(INO, 1, FileType.REGULAR, 0644, 1, 0, 0, size, 0, 0, 0, 0, new byte[0]);
    }

    private void write(long offset, int length, long lsn, int dataOffset) {
        index.applyWrite(new FsRecord.Write(H, offset, length, file(Math.max(offset + length, 3000)), dataOffset), 1, lsn * 100, lsn);
    }

    private byte[] block0(List<CheckpointFormat.Entry> entries) {
        CheckpointKeys.Key k = CheckpointKeys.block(LocalIndex.blockKey(INO, 0));
        return entries.stream().filter(e -> e.key().equals(k)).findFirst().orElseThrow().value();
    }

    @Test
    void aCaptureFollowsTheCommitsUpToItsLsnAndIgnoresWhatCameLater() {
        write(0, 3000, 7, 100);
        CheckpointCapture c = CheckpointCapture.take(index, 7);
        write(0, 1000, 8, 40); // after the capture: the index changes, the capture does not

        assertThatThrownBy(() -> c.entries(index)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("write-log record 7");

        // the batch holding record 7 commits: index and capture are repointed by the same function
        index.putChunkRef(11, 12, new byte[] {1, 2, 3});
        index.repoint(INO, 0, 3000, 7, 100, 11, 12, 500);
        c.repoint(INO, 0, 3000, 7, 100, 11, 12, 500);
        c.repoint(INO, 0, 1000, 8, 40, 13, 14, 0); // past the capture's LSN: not its business

        List<CheckpointFormat.Entry> entries = c.entries(index);
        List<Extent> extents = ExtentList.fromBytes(block0(entries)).extents();
        assertThat(extents).containsExactly(new Extent(0, 3000, Extent.SOURCE_CHUNK, 11, 12, 0, 500));
        assertThat(entries).anySatisfy(e -> {
            assertThat(e.key().kind()).isEqualTo(CheckpointKeys.CHUNK);
            assertThat(e.value()).containsExactly(1, 2, 3);
        });
        assertThat(entries).anySatisfy(e -> assertThat(e.key()).isEqualTo(CheckpointKeys.inode(INO)));
        // the index itself has record 8 on top
        assertThat(index.extents(INO, 0).extents().get(0).source()).isEqualTo(Extent.SOURCE_WAL);
    }

    @Test
    void aTailRewriteMovesOnlyTheBytesStillInTheChunksItCopied() {
        write(0, 3000, 7, 0);
        index.repoint(INO, 0, 3000, 7, 0, 11, 12, 0);
        write(1000, 500, 8, 0);
        CheckpointCapture c = CheckpointCapture.take(index, 8);
        c.repoint(INO, 1000, 500, 8, 0, 13, 14, 0);
        c.rewrite(INO, 0, 3000, 21, 22, 4096, Set.of(List.of(11L, 12L)));

        List<Extent> extents = ExtentList.fromBytes(block0(c.entries(index))).extents();
        assertThat(extents).containsExactly(
                new Extent(0, 1000, Extent.SOURCE_CHUNK, 21, 22, 0, 4096),
                new Extent(1000, 500, Extent.SOURCE_CHUNK, 13, 14, 0, 0),
                new Extent(1500, 1500, Extent.SOURCE_CHUNK, 21, 22, 0, 4096 + 1500));
    }

    @Test
    void theKeysTakenAreHandedBackIfTheCheckpointIsNotWritten() {
        write(0, 3000, 7, 0);
        CheckpointCapture c = CheckpointCapture.take(index, 7);
        assertThat(index.takeDirty()).as("taken by the capture").isEmpty();
        index.restoreDirty(c.dirty());
        assertThat(index.takeDirty()).contains(CheckpointKeys.inode(INO), CheckpointKeys.block(LocalIndex.blockKey(INO, 0)));
    }
}
