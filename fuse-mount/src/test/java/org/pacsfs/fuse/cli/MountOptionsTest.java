package org.pacsfs.fuse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad mount options fail before pacsfs contacts S3 (here: an endpoint where nothing listens, which the mount would
 * retry for 15 s before giving up) and before anything is created, with a message naming the option.
 */
class MountOptionsTest {

    @TempDir
    Path dir;

    @Test
    void badWriteLogAndIndexOptionsFailBeforeConnecting() throws Exception {
        assertFailsFast("--wal-cap", "1", "--wal-cap must be in");
        assertFailsFast("--expected-files", "10", "--expected-files must be >= 1000");
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        assertFailsFast("--wal-dir", file.resolve("wal").toString(), "--wal-dir");
    }

    @Test
    void aBadOrTakenMetricsPortFailsBeforeConnecting() throws Exception {
        assertFailsFast("--metrics-port", "70000", "--metrics-port must be 0 (a free port) .. 65535, got 70000");
        assertFailsFast("--metrics-port", "-1", "--metrics-port must be 0");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertFailsFast("--metrics-port", String.valueOf(taken.getLocalPort()),
                    "--metrics-port " + taken.getLocalPort() + ": cannot listen on 127.0.0.1:" + taken.getLocalPort());
        }
    }

    @Test
    void theMetricsPortIsAKeyOfTheConfigurationFileAndAnFstabOption() throws Exception {
        Path conf = Files.writeString(dir.resolve("a.conf"), "source = s3://b/p\nmountpoint = /mnt/pacs\nmetrics-port = 9187\n");
        assertThat(ConfigFile.arguments(conf)).containsSequence("--metrics-port", "9187");
        assertThat(ConfigFile.check(Files.writeString(dir.resolve("bad.conf"),
                "source = s3://b/p\nmountpoint = /mnt/pacs\nmetrics-port = many\n"))).anySatisfy(p -> assertThat(p).contains("metrics-port"));
        assertThat(ConfigFile.mountArguments("s3://b/p", "/mnt/pacs", "_netdev,metrics-port=9187,cache-dir=/var/lib/pacsfs/a", false))
                .containsSequence("--metrics-port", "9187");
    }

    private void assertFailsFast(String option, String value, String message) throws Exception {
        Path mnt = Files.createDirectories(dir.resolve("mnt"));
        Path cache = dir.resolve("cache");
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        List<String> args = new ArrayList<>(List.of("mount", "s3://bucket/prefix", mnt.toString(), "--foreground",
                "--endpoint", "http://127.0.0.1:" + closedPort, "--cache-dir", cache.toString(), option, value));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        long start = System.nanoTime();
        int code;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            code = Main.run(args.toArray(String[]::new));
        } finally {
            System.setErr(saved);
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        String out = err.toString(StandardCharsets.UTF_8);
        assertThat(code).as(out).isEqualTo(1);
        assertThat(out).contains(message).doesNotContain("cannot reach").doesNotContain("cannot use");
        assertThat(ms).as("failed after %d ms: %s", ms, out).isLessThan(5_000);
        assertThat(cache).as("nothing is created for a mount that cannot start").doesNotExist();
    }
}
