package org.pacsfs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pacsfs.testing.S3TestBucket;
import org.pacsfs.testing.WithS3Proxy;

/**
 * pacsfs gc against a real S3 server process while the filesystem is mounted: with the real clock nothing is old
 * enough; with a clock 200 days ahead (the test hook PACSFS_GC_TEST_NOW) a dry run names the chunks of the overwritten
 * and deleted files and changes nothing, and --apply removes exactly those; the current files still read back (through
 * the mount, and through a fresh mount on an empty cache), verify passes and reports the removed chunks as expired, and
 * a retention shorter than the filesystem's is refused. Then, after a clean unmount (a checkpoint at the head) and a
 * change from another machine, gc --apply prunes the log: the segments up to that checkpoint are gone from the server,
 * a log base is there, a fresh mount sees the same files and verify passes, starting from the base.
 */
@WithS3Proxy
@Timeout(180)
class GcIT {

    @Test
    void gcRemovesOnlyExpiredChunksAndVerifyReportsThemAsExpired(S3TestBucket bucket) throws Exception {
        Path work = WorkDir.fresh("gc");
        Path mnt = Files.createDirectories(work.resolve("mnt"));
        byte[] first = random(1, 5 << 20);
        byte[] second = random(2, 3 << 20);
        byte[] gone = random(3, 2 << 20);
        byte[] kept = random(4, 1 << 20);
        String s3 = "s3://" + bucket.name();
        String endpoint = bucket.endpoint().toString();
        Path chunksDir = bucket.server().dataDirectory().resolve(bucket.name()).resolve("chunks");
        try (PacsfsProcess.Mount mount = PacsfsProcess.mount(bucket, mnt, work.resolve("cache"), "--create")) {
            Files.write(mnt.resolve("scan.dcm"), first);
            Files.write(mnt.resolve("gone.dcm"), gone);
            Files.write(mnt.resolve("kept.dcm"), kept);
            Sh.ok(mnt, "sync");
            CliErrorsIT.awaitShipped(mnt);
            Set<String> firstChunks = chunkNames(chunksDir);
            Files.write(mnt.resolve("scan.dcm"), second); // O_TRUNC: every chunk of the first version is unreferenced now
            Files.delete(mnt.resolve("gone.dcm"));
            Sh.ok(mnt, "sync");
            CliErrorsIT.awaitShipped(mnt);
            Set<String> all = chunkNames(chunksDir);
            assertThat(all).containsAll(firstChunks).hasSizeGreaterThan(firstChunks.size());

            // The real clock: everything is younger than the 180-day retention.
            PacsfsProcess.Result now = gc(bucket, null, s3, "--endpoint", endpoint);
            assertThat(now.exitCode()).as(now.output()).isZero();
            assertThat(now.output()).contains("remove:     0 expired chunks").contains("result:     nothing to remove");

            // 200 days later, still mounted: a dry run names the chunks and changes nothing.
            String later = Instant.now().plus(Duration.ofDays(200)).toString();
            PacsfsProcess.Result dry = gc(bucket, later, s3, "--endpoint", endpoint, "--verbose");
            assertThat(dry.exitCode()).as(dry.output()).isZero();
            List<String> named = removeLines(dry.output());
            assertThat(named).isNotEmpty().doesNotHaveDuplicates();
            assertThat(dry.output()).contains("dry run: nothing removed").contains("using PACSFS_GC_TEST_NOW=");
            assertThat(chunkNames(chunksDir)).isEqualTo(all);
            assertThat(bucket.server().dataDirectory().resolve(bucket.name()).resolve("gc")).doesNotExist();

            PacsfsProcess.Result shorter = gc(bucket, later, s3, "--endpoint", endpoint, "--retention", "30d", "--apply");
            assertThat(shorter.exitCode()).as(shorter.output()).isEqualTo(2);
            assertThat(shorter.output()).contains("30d").contains("180d").contains("shorter than the filesystem's retention");
            assertThat(chunkNames(chunksDir)).isEqualTo(all);

            long t0 = System.nanoTime();
            PacsfsProcess.Result applied = gc(bucket, later, s3, "--endpoint", endpoint, "--apply",
                    "--state-file", work.resolve("gc.plan").toString());
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(applied.exitCode()).as(applied.output()).isZero();
            assertThat(applied.output()).contains("removed:    " + named.size() + " chunks").contains("result:     OK");
            System.out.println("GcIT: gc --apply removed " + named.size() + " of " + all.size() + " chunks in " + ms + " ms (JVM start included)");
            Set<String> left = chunkNames(chunksDir);
            assertThat(left).as("exactly the chunks the dry run named are gone")
                    .isEqualTo(all.stream().filter(c -> !named.contains(c)).collect(Collectors.toSet()));
            assertThat(named).as("only chunks of the first version of scan.dcm or of gone.dcm")
                    .allSatisfy(c -> assertThat(firstChunks).contains(c));
            assertThat(work.resolve("gc.plan")).as("a finished run leaves nothing to resume").doesNotExist();

            assertThat(Files.readAllBytes(mnt.resolve("scan.dcm"))).isEqualTo(second);
            assertThat(Files.readAllBytes(mnt.resolve("kept.dcm"))).isEqualTo(kept);
            mount.unmount();
        }
        Path logDir = bucket.server().dataDirectory().resolve(bucket.name()).resolve("log");
        long checkpointed = segmentNames(logDir).size(); // the clean unmount wrote a checkpoint at the head
        String later = Instant.now().plus(Duration.ofDays(200)).toString();
        byte[] late = random(5, 4096);
        // A fresh machine (empty cache) sees the current files whole; it adds a change, and gc prunes while it is mounted.
        try (PacsfsProcess.Mount mount = PacsfsProcess.mount(bucket, mnt, work.resolve("cache-b"))) {
            assertThat(Files.readAllBytes(mnt.resolve("scan.dcm"))).isEqualTo(second);
            assertThat(Files.readAllBytes(mnt.resolve("kept.dcm"))).isEqualTo(kept);
            assertThat(mnt.resolve("gone.dcm")).doesNotExist();
            Files.write(mnt.resolve("late.dcm"), late);
            Sh.ok(mnt, "sync");
            CliErrorsIT.awaitShipped(mnt);
            PacsfsProcess.Result prune = gc(bucket, later, s3, "--endpoint", endpoint, "--apply");
            assertThat(prune.exitCode()).as(prune.output()).isZero();
            assertThat(prune.output()).contains("prune:      the log will begin at segment " + (checkpointed + 1))
                    .contains("pruned:     log base written; " + checkpointed + " log segment(s)");
            assertThat(segmentNames(logDir)).as("the segments up to the checkpoint are gone from the server")
                    .allMatch(n -> Long.parseLong(n) > checkpointed).isNotEmpty();
            assertThat(Files.readAllBytes(mnt.resolve("late.dcm"))).isEqualTo(late);
            mount.unmount();
        }
        try (PacsfsProcess.Mount mount = PacsfsProcess.mount(bucket, mnt, work.resolve("cache-c"))) {
            assertThat(Files.readAllBytes(mnt.resolve("scan.dcm"))).isEqualTo(second);
            assertThat(Files.readAllBytes(mnt.resolve("late.dcm"))).isEqualTo(late);
            mount.unmount();
        }
        // verify judges the base by the same (test) clock gc pruned with: clean, starting from the base...
        PacsfsProcess.Result verify = cli(bucket, later, "verify", s3, "--endpoint", endpoint);
        assertThat(verify.exitCode()).as(verify.output()).isZero();
        // (the chunks gc removed were referenced only by pruned segments: verify no longer sees them as expired)
        assertThat(verify.output()).contains("result:     OK").contains("from segment " + (checkpointed + 1) + ": pruned by pacsfs gc");
        // ...while by today's clock that base pruned history the retention still protects.
        PacsfsProcess.Result today = cli(bucket, null, "verify", s3, "--endpoint", endpoint);
        assertThat(today.exitCode()).as(today.output()).isEqualTo(3);
        assertThat(today.output()).contains("PROBLEM LOG_BASE_TOO_RECENT logbase/");
    }

    private static Set<String> segmentNames(Path logDir) throws Exception {
        try (Stream<Path> s = Files.list(logDir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
    }

    private static PacsfsProcess.Result gc(S3TestBucket bucket, String now, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("gc"));
        all.addAll(List.of(args));
        return cli(bucket, now, all.toArray(String[]::new));
    }

    /** Runs a pacsfs command with PACSFS_GC_TEST_NOW set to {@code now} (null: unset). */
    private static PacsfsProcess.Result cli(S3TestBucket bucket, String now, String... all) throws Exception {
        ProcessBuilder pb = PacsfsProcess.command(bucket, all).redirectErrorStream(true);
        if (now != null) {
            pb.environment().put("PACSFS_GC_TEST_NOW", now);
        }
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("pacsfs " + all[0] + " did not finish");
        }
        return new PacsfsProcess.Result(p.exitValue(), new String(out, java.nio.charset.StandardCharsets.UTF_8));
    }

    /** The chunk object names (ids) that REMOVE lines give. */
    private static List<String> removeLines(String output) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^REMOVE chunks/[0-9a-f]{2}/([0-9a-f]{32}) (expired|never-referenced) \\d+$").matcher(output);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    private static Set<String> chunkNames(Path chunksDir) throws Exception {
        try (Stream<Path> s = Files.walk(chunksDir)) {
            return s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
    }

    private static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
