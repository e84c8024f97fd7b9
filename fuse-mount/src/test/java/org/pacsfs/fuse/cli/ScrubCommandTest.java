package org.pacsfs.fuse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.pacsfs.core.history.ScrubReport;
import org.pacsfs.core.history.ScrubSelection;
import org.pacsfs.core.history.ScrubTotals;

/** The parts of pacsfs scrub that need no bucket: usage errors, the report, the progress line. */
class ScrubCommandTest {

    @Test
    void badCombinationsAreUsageErrorsBeforeAnyConnection() {
        assertThat(Main.run("scrub", "s3://b", "--repair")).isEqualTo(2);
        assertThat(Main.run("scrub", "s3://b", "--cache-dir", "/tmp/x")).isEqualTo(2);
        assertThat(Main.run("scrub", "s3://b", "--all", "--sample", "0.1")).isEqualTo(2);
        assertThat(Main.run("scrub", "s3://b", "--sample", "0")).isEqualTo(2);
        assertThat(Main.run("scrub", "s3://b", "--sample", "1.5")).isEqualTo(2);
        assertThat(Main.run("scrub", "s3://b", "--seed", "3")).isEqualTo(2);
        assertThat(Main.run("scrub", "s3://b", "--parallel", "0")).isEqualTo(2);
    }

    @Test
    void theReportCountsEachFateAndSaysWhetherProblemsRemain() {
        ScrubTotals t = new ScrubTotals(12, 40, 5 << 20, 37, 2, 0, 1, 0, 0);
        ScrubReport r = new ScrubReport(UUID.fromString("0b6f3c1e-8d0a-4f57-9a53-2a8f0f7f4c11"), new ScrubSelection(0.25, 7), 4, 12, t);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        ScrubCommand.print(new PrintStream(b, true, StandardCharsets.UTF_8), "s3://b/p/", r);
        assertThat(b.toString(StandardCharsets.UTF_8))
                .contains("selection:  a sample of 0.25 of the chunks (seed 7)")
                .contains("resumed:    after segment 4")
                .contains("40 checked, 5.0 MiB stored bytes: 37 ok, 2 repaired, 0 not repaired, 1 unrepairable, 0 unreadable")
                .contains("result:     1 problem(s) remain");
    }

    @Test
    void progressGoesToStderrAtMostOnceASecondWithRateAndEta() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        ScrubCommand.Progress p = new ScrubCommand.Progress(new PrintStream(b, true, StandardCharsets.UTF_8), false);
        for (int i = 1; i <= 1000; i++) {
            p.update(i, 1000, new ScrubTotals(i, i, i * 1000L, i, 0, 0, 0, 0, 0));
        }
        p.finish();
        List<String> lines = b.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).hasSizeBetween(1, 3).last().asString().contains("segment 1000/1000 (100%)").contains("/s").contains("ETA 0m00s");
        assertThat(ScrubCommand.Progress.duration(3725)).isEqualTo("1h02m");
        ByteArrayOutputStream q = new ByteArrayOutputStream();
        ScrubCommand.Progress quiet = new ScrubCommand.Progress(new PrintStream(q, true, StandardCharsets.UTF_8), true);
        quiet.update(1, 1, ScrubTotals.ZERO);
        quiet.finish();
        assertThat(q.size()).isZero();
    }
}
