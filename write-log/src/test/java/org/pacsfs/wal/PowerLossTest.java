package org.pacsfs.wal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Power cuts: everything written after the last force is lost and the last page is torn; the synced prefix survives. */
class PowerLossTest {
    @TempDir
    Path dir;

    @Test
    void onlyTheSyncedPrefixSurvivesWhenTheTornPageHoldsGarbage() throws Exception {
        run(false, 40);
    }

    @Test
    void syncedPrefixSurvivesAndSurvivingExtrasAreIntactWhenPartOfThePageLands() throws Exception {
        run(true, 40);
    }

    private void run(boolean keepWrittenBytes, int rounds) throws Exception {
        Random random = new Random(keepWrittenBytes ? 11 : 12);
        long lsn = 0;
        for (int round = 0; round < rounds; round++) {
            PowerLossChannelFactory disk = new PowerLossChannelFactory();
            WriteLogConfig cfg = WriteLogConfig.defaults(dir).withSegmentSizeBytes(256 << 10).withCapacityBytes(64 << 20)
                    .withChannelFactory(disk);
            WriteLog log = WriteLog.open(cfg);
            assertThat(log.lastLsn()).isEqualTo(lsn);
            int n = 1 + random.nextInt(60);
            for (int i = 0; i < n; i++) {
                long next = log.lastLsn() + 1;
                log.append(TestPayloads.type(next), TestPayloads.payload(next, random.nextInt(3000)));
                if (random.nextInt(8) == 0) {
                    log.sync(log.lastLsn());
                }
            }
            long synced = log.syncedLsn();
            log.abandon();
            disk.crash(random, keepWrittenBytes);

            try (WriteLog reopened = WriteLog.open(cfg.withChannelFactory(ChannelFactory.DEFAULT))) {
                if (keepWrittenBytes) {
                    assertThat(reopened.lastLsn()).isGreaterThanOrEqualTo(synced);
                } else {
                    assertThat(reopened.lastLsn()).as("round %d", round).isEqualTo(synced);
                }
                long expect = reopened.oldestUnreleasedLsn();
                try (RecordCursor c = reopened.readFrom(expect)) {
                    while (c.next()) {
                        assertThat(c.record().lsn()).isEqualTo(expect);
                        assertThat(TestPayloads.checkIntact(c.record())).isEqualTo(expect);
                        expect++;
                    }
                }
                assertThat(expect - 1).isEqualTo(reopened.lastLsn());
                lsn = reopened.lastLsn();
                reopened.release(Math.max(0, lsn - 100));
            }
        }
    }
}
