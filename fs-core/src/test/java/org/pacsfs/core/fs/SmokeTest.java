package org.pacsfs.core.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SmokeTest {
    @TempDir
    Path dir;

    @Test
    void writeCloseReopenRead() throws Exception {
        FsConfig cfg = FsConfig.defaults(dir).withIndexSize(10_000, 100_000);
        try (LocalFileSystem fs = LocalFileSystem.open(cfg)) {
            fs.mkdir("/a", 0755, Caller.ROOT);
            long fh = fs.create("/a/f", 0644, OpenFlags.O_RDWR, Caller.ROOT);
            fs.write(fh, 0, ByteBuffer.wrap("hello world".getBytes(StandardCharsets.UTF_8)));
            fs.write(fh, 3_000_000, ByteBuffer.wrap("tail".getBytes(StandardCharsets.UTF_8)));
            fs.release(fh);
        }
        try (LocalFileSystem fs = LocalFileSystem.open(cfg)) {
            assertThat(fs.recoveryInfo().indexTrusted()).isTrue();
            assertThat(fs.getattr("/a/f").size()).isEqualTo(3_000_004);
            long fh = fs.open("/a/f", OpenFlags.O_RDONLY);
            ByteBuffer b = ByteBuffer.allocate(11);
            fs.read(fh, 0, b);
            assertThat(new String(b.array(), StandardCharsets.UTF_8)).isEqualTo("hello world");
            fs.release(fh);
            fs.crashForTesting();
        }
        try (LocalFileSystem fs = LocalFileSystem.open(cfg)) {
            assertThat(fs.recoveryInfo().indexTrusted()).isFalse();
            long fh = fs.open("/a/f", OpenFlags.O_RDONLY);
            ByteBuffer b = ByteBuffer.allocate(8);
            fs.read(fh, 2_999_998, b);
            assertThat(b.array()).containsExactly(0, 0, 't', 'a', 'i', 'l', 0, 0);
            assertThat(fs.readdir(fs.opendir("/a"), 0, 100)).extracting(DirEntry::name).containsExactly(".", "..", "f");
        }
    }
}
