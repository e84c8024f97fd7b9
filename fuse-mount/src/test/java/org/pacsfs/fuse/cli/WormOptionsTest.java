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

/** Bad WORM options fail before pacsfs contacts S3, with a message naming the option and the accepted forms. */
class WormOptionsTest {

    @TempDir
    Path dir;

    @Test
    void badDurationsAndCombinationsFailBeforeConnecting() throws Exception {
        assertFailsFast("--retention must be a duration", "'10 years' is not a duration; use a whole number and a unit",
                "--create", "--worm", "--retention", "10 years");
        assertFailsFast("30d (days)", "10y (years", "--create", "--worm", "--retention", "10");
        assertFailsFast("--retention between 1s and 100y", "--retention must be between 1s and 100y, was 0s",
                "--create", "--retention", "0s");
        assertFailsFast("--worm-grace at most 7d", "--worm-grace must be between 0s and 7d, was 14d", "--create", "--worm", "--worm-grace", "2w");
        assertFailsFast("--worm-grace needs --worm", "--worm-grace and --require-object-lock need --worm", "--create", "--worm-grace", "5s");
        assertFailsFast("read-only takes them from the bucket", "a read-only mount takes them from the bucket", "--read-only", "--worm");
    }

    @Test
    void theWormOptionsAreKeysOfTheConfigurationFile() throws Exception {
        Path conf = Files.writeString(dir.resolve("a.conf"), "source = s3://b/p\nmountpoint = /mnt/pacs\nworm = true\nretention = 10y\n");
        assertThat(ConfigFile.check(conf)).isEmpty();
        assertThat(ConfigFile.arguments(conf)).contains("--worm").containsSequence("--retention", "10y");
    }

    private void assertFailsFast(String what, String message, String... options) throws Exception {
        Path mnt = Files.createDirectories(dir.resolve("mnt"));
        Path cache = dir.resolve("cache");
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        List<String> args = new ArrayList<>(List.of("mount", "s3://bucket/prefix", mnt.toString(), "--foreground",
                "--endpoint", "http://127.0.0.1:" + closedPort, "--cache-dir", cache.toString()));
        args.addAll(List.of(options));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        int code;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            code = Main.run(args.toArray(String[]::new));
        } finally {
            System.setErr(saved);
        }
        String out = err.toString(StandardCharsets.UTF_8);
        assertThat(code).as(what + ": " + out).isEqualTo(1);
        assertThat(out).as(what).contains(message).doesNotContain("cannot reach");
        assertThat(cache).as("nothing is created for a mount that cannot start").doesNotExist();
    }
}
