package org.pacsfs.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.pacsfs.core.fs.Errno;
import org.pacsfs.core.fs.FsException;

/** The adapter's own small decisions, without a mount (the mount itself is tested in it/). */
class AdapterPiecesTest {

    @Test
    void errnosComeFromTheExceptionAndAnythingUnexpectedIsEio() {
        assertThat(Errnos.reply("open", new FsException.NotFound("x"))).isEqualTo(-2);
        assertThat(Errnos.reply("write", new FsException.NoSpace("full", null))).isEqualTo(-Errno.ENOSPC.value());
        assertThat(Errnos.reply("read", new IllegalStateException("bug"))).isEqualTo(-Errno.EIO.value());
        assertThat(Errnos.reply("read", new OutOfMemoryError())).isEqualTo(-Errno.EIO.value());
    }

    @Test
    void namesThatWereNotUtf8AreRecognised() {
        assertThat(FuseAdapter.invalid("/a/b\uFFFDc")).isTrue();
        assertThat(FuseAdapter.invalid("/Ünïcødé ✓/日本")).isFalse();
        assertThat(FuseAdapter.invalid(null)).as("handle calls after unlink come without a path").isFalse();
    }

    @Test
    void libfuseHiddenNamesAreRecognisedExactly() {
        assertThat(FuseAdapter.isHiddenName("/d/.fuse_hidden0000000a00000001")).isTrue();
        assertThat(FuseAdapter.isHiddenName("/.fuse_hiddenabcdef0123456789")).isTrue();
        assertThat(FuseAdapter.isHiddenName("/d/.fuse_hidden0000000a0000001")).isFalse();
        assertThat(FuseAdapter.isHiddenName("/d/.fuse_hidden0000000a0000000g")).isFalse();
        assertThat(FuseAdapter.isHiddenName("/d/x.fuse_hidden0000000a00000001")).isFalse();
    }

    @Test
    void mountOptionsCarryWhatSpeedAndSemanticsNeed() {
        String[] args = FuseMount.libfuseOptions(FuseMount.Options.defaults());
        assertThat(args[0]).isEqualTo("-o");
        assertThat(List.of(args[1].split(","))).contains("big_writes", "max_write=131072", "max_read=131072", "use_ino",
                "allow_other", "default_permissions").doesNotContain("kernel_cache", "auto_cache", "hard_remove", "ro");
        String[] ro = FuseMount.libfuseOptions(new FuseMount.Options(false, true, true, List.of("uid=1000", "umask=027"), "pacsfs"));
        assertThat(List.of(ro[1].split(","))).contains("ro", "uid=1000", "umask=027").doesNotContain("allow_other");
        assertThatThrownBy(() -> new FuseMount.Options(true, true, false, List.of("a,b"), "pacsfs"))
                .hasMessageContaining("'a,b'");
    }

    @Test
    void mountinfoEscapesAreDecoded() {
        assertThat(MountTable.unescape("/mnt/with\\040space")).isEqualTo("/mnt/with space");
        assertThat(MountTable.unescape("/mnt/tab\\011x/back\\134slash")).isEqualTo("/mnt/tab\tx/back\\slash");
        assertThat(MountTable.unescape("/mnt/\\303\\234nic")).isEqualTo("/mnt/Ünic");
        assertThat(MountTable.unescape("/plain")).isEqualTo("/plain");
    }

    @Test
    void bufferPoolReusesArraysAndServesLargerRequests() {
        BufferPool pool = new BufferPool(2, 1024);
        byte[] a = pool.take(100);
        pool.give(a);
        assertThat(pool.take(1024)).isSameAs(a);
        assertThat(pool.take(4096)).hasSize(4096);
    }
}
