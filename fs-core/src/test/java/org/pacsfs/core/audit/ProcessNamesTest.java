package org.pacsfs.core.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessNamesTest {

    @Test
    void aThreadIdResolvesToItsProcessAndName(@TempDir Path proc) throws Exception {
        Files.createDirectories(proc.resolve("4243"));
        Files.writeString(proc.resolve("4243/status"), "Name:\tstorescp\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\nPid:\t4243\n");
        ProcessNames names = new ProcessNames(proc);
        assertThat(names.of(4243)).isEqualTo(new ProcessNames.Proc(4242, "storescp"));
        assertThat(names.of(99)).isEqualTo(new ProcessNames.Proc(99, "")); // gone: the id as given
        assertThat(names.of(0)).isEqualTo(new ProcessNames.Proc(0, ""));
    }

    @Test
    void theRealProcOfThisJvm() {
        long pid = ProcessHandle.current().pid();
        ProcessNames.Proc p = new ProcessNames(Path.of("/proc")).of(pid);
        assertThat(p.pid()).isEqualTo(pid);
        assertThat(p.name()).isNotEmpty();
    }
}
