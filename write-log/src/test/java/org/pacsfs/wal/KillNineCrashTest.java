package org.pacsfs.wal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starts {@link CrashChild} in its own JVM, lets it append and sync, kills it with SIGKILL at a random moment, and
 * checks that every LSN whose sync had returned is present and intact; repeated {@code pacsfs.wal.crashCycles}
 * times (10 in CI, raise it for a long run) on the same directory.
 */
class KillNineCrashTest {
    @TempDir
    Path dir;

    @Test
    void everySyncedLsnSurvivesKillNine() throws Exception {
        int cycles = Integer.getInteger("pacsfs.wal.crashCycles", 10);
        Random random = new Random();
        long syncedEver = 0;
        for (int cycle = 0; cycle < cycles; cycle++) {
            long reportedSynced = runAndKill(random.nextInt(50, 400));
            assertThat(reportedSynced).as("the child made progress in cycle %d", cycle).isGreaterThan(syncedEver);
            syncedEver = reportedSynced;
            WriteLogConfig cfg = WriteLogConfig.defaults(dir).withSegmentSizeBytes(256 << 10).withCapacityBytes(1L << 30);
            try (WriteLog log = WriteLog.open(cfg)) {
                assertThat(log.lastLsn()).as("cycle %d: recovered LSN covers every synced LSN", cycle).isGreaterThanOrEqualTo(syncedEver);
                long oldest = Math.max(1, syncedEver - 2000);
                long expect = oldest;
                try (RecordCursor c = log.readFrom(oldest)) {
                    while (c.next()) {
                        assertThat(c.record().lsn()).isEqualTo(expect);
                        TestPayloads.checkIntact(c.record());
                        expect++;
                    }
                }
                assertThat(expect - 1).isEqualTo(log.lastLsn());
                log.release(oldest - 1);
            }
        }
    }

    /** Runs the child, kills it {@code millis} after its first synced LSN, returns the highest LSN it reported synced. */
    private long runAndKill(int millis) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                CrashChild.class.getName(), dir.toString());
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        List<String> lines = new ArrayList<>();
        long maxSynced = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))) {
            long killAt = Long.MAX_VALUE;
            boolean killed = false;
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
                if (line.startsWith("S ")) {
                    maxSynced = Math.max(maxSynced, Long.parseLong(line.substring(2)));
                    if (killAt == Long.MAX_VALUE) {
                        killAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
                    }
                }
                if (System.nanoTime() >= killAt && !killed) {
                    // kill -9 through the OS, not Process.destroyForcibly(), which also closes our end of the pipe:
                    // every line the child wrote before it died must still be read.
                    new ProcessBuilder("kill", "-KILL", Long.toString(p.pid())).inheritIO().start().waitFor();
                    killed = true;
                }
            }
        } finally {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        assertThat(p.exitValue()).as("child output: %s", lines.size() > 5 ? lines.subList(0, 5) : lines).isEqualTo(137);
        return maxSynced;
    }
}
