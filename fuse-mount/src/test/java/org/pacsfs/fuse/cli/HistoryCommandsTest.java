package org.pacsfs.fuse.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.pacsfs.core.history.HeadAnchor;
import org.pacsfs.core.history.Problem;
import org.pacsfs.core.history.VerifyReport;
import picocli.CommandLine.TypeConversionException;

/** The parts of verify, versions, cat --at, restore and mount --at that need no bucket. */
class HistoryCommandsTest {

    @Test
    void theReportNamesTheHeadAndEveryProblemOnItsOwnLine() {
        HeadAnchor head = new HeadAnchor(42, new byte[32]);
        VerifyReport r = new VerifyReport(UUID.fromString("0b6f3c1e-8d0a-4f57-9a53-2a8f0f7f4c11"), head, 42, 7, 3 << 20, 1, 2,
                List.of(new Problem(Problem.Kind.CHUNK_MISSING, "chunks/37/00", "not in the bucket (referenced by log/7)")));
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        VerifyCommand.print(new PrintStream(b, true, StandardCharsets.UTF_8), "s3://b/p/", r);
        String out = b.toString(StandardCharsets.UTF_8);
        assertThat(out).contains("head:       42:" + "0".repeat(64))
                .contains("PROBLEM CHUNK_MISSING chunks/37/00: not in the bucket (referenced by log/7)")
                .contains("3.0 MiB").contains("2 unreferenced").contains("result:     1 problem(s)");
        assertThat(VerifyCommand.human(1023)).isEqualTo("1023 B");
        assertThat(VerifyCommand.human(5L << 40)).isEqualTo("5.0 TiB");
    }

    @Test
    void progressGoesToStderrAtMostOnceASecondAndNotWhenQuiet() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        VerifyCommand.ProgressLine p = new VerifyCommand.ProgressLine(new PrintStream(b, true, StandardCharsets.UTF_8), false);
        for (int i = 1; i <= 1000; i++) {
            p.update(i, 1000, i, i * 1000L, 0);
        }
        p.finish();
        List<String> lines = b.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).hasSizeBetween(1, 3).last().asString().contains("segment 1000/1000");
        ByteArrayOutputStream q = new ByteArrayOutputStream();
        VerifyCommand.ProgressLine quiet = new VerifyCommand.ProgressLine(new PrintStream(q, true, StandardCharsets.UTF_8), true);
        quiet.update(1, 1, 0, 0, 0);
        quiet.finish();
        assertThat(q.size()).isZero();
    }

    @Test
    void badTimesAndAnchorsAreUsageErrorsNamingTheAcceptedForms() {
        assertThatThrownBy(() -> new HistoryView.TimeConverter().convert("last tuesday")).isInstanceOf(TypeConversionException.class)
                .hasMessageContaining("--at:").hasMessageContaining("2025-06-01T12:00:00Z");
        assertThatThrownBy(() -> new VerifyCommand.AnchorConverter().convert("abc")).isInstanceOf(TypeConversionException.class)
                .hasMessageContaining("--expect-head:").hasMessageContaining("SEQ:SHA256");
        assertThat(Main.run("cat", "s3://b", "/x", "--at", "soon")).isEqualTo(2);
        assertThat(Main.run("restore", "s3://b", "/x")).isEqualTo(2); // --at is required
        assertThat(Main.run("verify", "s3://b", "--parallel", "0")).isEqualTo(1);
    }

    @Test
    void aPointInTimeMountMustBeReadOnly() {
        assertThat(Main.run("mount", "s3://b", "/nonexistent-mount-point", "--at", "2025-06-01T12:00:00Z", "--foreground")).isEqualTo(1);
    }
}
