package org.pacsfs.fuse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.pacsfs.core.bucket.ChunkId;
import org.pacsfs.core.history.GcPlan;
import org.pacsfs.core.history.GcRecord;
import org.pacsfs.core.history.LogPrune;
import org.pacsfs.core.bucket.LogBase;

/** The parts of pacsfs gc that need no bucket: usage errors, the plan as printed, the progress bar. */
class GcCommandTest {

    @Test
    void badOptionsAreUsageErrorsBeforeAnyConnection() {
        assertThat(Main.run("gc", "s3://b", "--resume")).isEqualTo(2);
        assertThat(Main.run("gc", "s3://b", "--state-file", "/tmp/x.plan")).isEqualTo(2);
        assertThat(Main.run("gc", "s3://b", "--retention", "soon")).isEqualTo(2);
        assertThat(Main.run("gc", "s3://b", "--retention", "0s")).isEqualTo(2);
        assertThat(Main.run("gc", "s3://b", "--apply", "--resume", "--retention", "200d")).isEqualTo(2);
    }

    @Test
    void thePlanNamesWhatGoesWhatStaysAndWhy() {
        ChunkId id = ChunkId.parse("0123456789abcdef0123456789abcdef");
        GcPlan p = new GcPlan(UUID.fromString("0b6f3c1e-8d0a-4f57-9a53-2a8f0f7f4c11"), UUID.randomUUID(), 1_800_000_000_000L,
                Duration.ofDays(366), Instant.parse("2026-01-01T00:00:00Z"), Instant.parse("2026-01-01T00:00:00Z"), 17, new byte[32],
                Instant.parse("2025-12-31T23:00:00Z"), 40, new byte[32],
                List.of(new GcRecord.Entry(id, GcRecord.Reason.EXPIRED, 4 << 20), new GcRecord.Entry(ChunkId.random(),
                        GcRecord.Reason.NEVER_REFERENCED, 1024)), new GcPlan.Kept(9, 9 << 20, 2, 2048, 0));
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        GcCommand.printPlan(new PrintStream(b, true, StandardCharsets.UTF_8), "s3://b/p/", p, Duration.ofDays(180), true);
        assertThat(b.toString(StandardCharsets.UTF_8))
                .contains("REMOVE chunks/").contains("/0123456789abcdef0123456789abcdef expired 4194304")
                .contains("retention:  1y (the filesystem's: 180d)")
                .contains("log:        head segment 40; the state as of the cutoff is the one after segment 17")
                .contains("prune:      the log keeps its start (not judged in this run)")
                .contains("kept:       9 chunks (9.0 MiB)").contains("2 (2.0 KiB) not needed but younger than the cutoff")
                .contains("remove:     1 expired chunks (4.0 MiB), 1 never-referenced uploads (1.0 KiB)");
    }

    @Test
    void thePlanNamesWhereTheLogWillBeginAndWhatGoes() {
        UUID fs = UUID.fromString("0b6f3c1e-8d0a-4f57-9a53-2a8f0f7f4c11");
        LogBase base = new LogBase(fs, 12, new byte[32], "full-0badcafe", Instant.parse("2025-12-30T10:00:00Z"), 86_400 * 180,
                1_800_000_000_000L, UUID.randomUUID());
        LogPrune prune = new LogPrune(base, null, List.of("log/1", "log/2"), 3 << 20, List.of("checkpoints/x"), 1024, List.of(), null);
        assertThat(GcCommand.describePrune(prune)).isEqualTo("the log will begin at segment 12 (log base at checkpoint 11 "
                + "full-0badcafe; history from 2025-12-30T10:00:00Z on stays); remove 2 segment(s) (3.0 MiB), 1 checkpoint "
                + "object(s) (1.0 KiB)");
        LogPrune leftovers = new LogPrune(null, base, List.of("log/3"), 100, List.of(), 0, List.of("logbase/2"), "no segment "
                + "of the log is older than the cutoff");
        assertThat(GcCommand.describePrune(leftovers)).isEqualTo("the log keeps its start (no segment of the log is older than "
                + "the cutoff); remove what an earlier prune left: 1 segment(s) (100 B), 1 older log base(s)");
    }

    @Test
    void progressIsABarOnStderrAndNothingWhenQuiet() {
        assertThat(GcCommand.GcProgress.bar(5, 10)).isEqualTo("[###############---------------] 50%");
        assertThat(GcCommand.GcProgress.bar(0, 0)).endsWith("100%");
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        GcCommand.GcProgress p = new GcCommand.GcProgress(new PrintStream(b, true, StandardCharsets.UTF_8), false);
        for (int i = 1; i <= 1000; i++) {
            p.removing(i, 1000, i * 1000L);
        }
        p.finish();
        assertThat(b.toString(StandardCharsets.UTF_8).lines().toList()).hasSizeBetween(1, 3).last().asString()
                .contains("gc: removing [##############################] 100% 1000/1000 chunks");
        ByteArrayOutputStream q = new ByteArrayOutputStream();
        GcCommand.GcProgress quiet = new GcCommand.GcProgress(new PrintStream(q, true, StandardCharsets.UTF_8), true);
        quiet.walking(1, 1);
        quiet.finish();
        assertThat(q.size()).isZero();
    }
}
