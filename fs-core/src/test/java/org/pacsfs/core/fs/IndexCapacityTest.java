package org.pacsfs.core.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Running out of index capacity is ENOSPC, changes nothing, and frees up again when files are removed. */
class IndexCapacityTest {
    @TempDir
    Path dir;

    @Test
    void createBeyondMaxFilesIsEnospcAndCorruptsNothing() throws Exception {
        FsConfig cfg = FsConfig.defaults(dir).withIndexSize(1000, 1000);
        try (LocalFileSystem fs = LocalFileSystem.open(cfg)) {
            for (int i = 1; i < 1000; i++) { // the root directory is inode 1 of 1000
                fs.release(fs.create("/f" + i, 0644, OpenFlags.O_WRONLY | OpenFlags.O_EXCL, Caller.ROOT));
            }
            assertThat(fs.statfs().freeFiles()).isZero();
            assertThatThrownBy(() -> fs.create("/one-too-many", 0644, OpenFlags.O_WRONLY, Caller.ROOT))
                    .isInstanceOfSatisfying(FsException.NoSpace.class, e -> assertThat(e.getMessage()).contains("maxFiles"));
            assertThatThrownBy(() -> fs.mkdir("/dir", 0755, Caller.ROOT)).isInstanceOf(FsException.NoSpace.class);
            assertThatThrownBy(() -> fs.getattr("/one-too-many")).isInstanceOf(FsException.NotFound.class);
            fs.unlink("/f1");
            fs.release(fs.create("/now-it-fits", 0644, OpenFlags.O_WRONLY, Caller.ROOT));
        }
        try (LocalFileSystem fs = LocalFileSystem.open(cfg)) {
            assertThat(fs.inodeCount()).isEqualTo(1000);
            assertThat(fs.getattr("/now-it-fits").size()).isZero();
            assertThat(fs.readdir(fs.opendir("/"), 0, 2000)).hasSize(1000 - 1 + 2);
        }
    }
}
