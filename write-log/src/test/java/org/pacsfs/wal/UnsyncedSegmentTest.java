package org.pacsfs.wal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Segments the log rolled to but never synced (".wal.tmp"): after a process crash the page cache still holds them,
 * so recovery adopts them when they continue the log exactly; a damaged one keeps its valid prefix.
 */
class UnsyncedSegmentTest {
    @TempDir
    Path dir;

    WriteLogConfig config() {
        return WriteLogConfig.defaults(dir).withSegmentSizeBytes(64 << 10).withUnsyncedBufferBytes(64 << 10);
    }

    @Test
    void aProcessCrashKeepsRecordsOfSegmentsThatWereNeverSynced() throws Exception {
        WriteLog log = WriteLog.open(config());
        for (int i = 1; i <= 100; i++) {
            log.append(TestPayloads.type(i), TestPayloads.payload(i, 3000)); // about 5 segments, none synced
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.filter(p -> p.toString().endsWith(".wal.tmp")).count()).as("unfinished segments").isPositive();
        }
        log.abandon(); // the process dies; the page cache keeps what was written
        try (WriteLog again = WriteLog.open(config())) {
            assertThat(again.lastLsn()).isEqualTo(100);
            try (RecordCursor c = again.readFrom(1)) {
                for (int i = 1; i <= 100; i++) {
                    assertThat(c.next()).isTrue();
                    assertThat(TestPayloads.checkIntact(c.record())).isEqualTo(i);
                }
                assertThat(c.next()).isFalse();
            }
            again.append((byte) 1, TestPayloads.payload(101, 10));
            again.sync(101);
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.filter(p -> p.toString().endsWith(".tmp")).count()).isZero();
        }
    }
}
