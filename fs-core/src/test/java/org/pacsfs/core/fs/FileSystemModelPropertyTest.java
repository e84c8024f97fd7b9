package org.pacsfs.core.fs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import org.pacsfs.core.fs.model.FsTreeReader;
import org.pacsfs.core.fs.model.Op;
import org.pacsfs.core.fs.model.OpRunner;
import org.pacsfs.core.fs.model.Ops;
import org.pacsfs.core.fs.model.ReferenceModel;
import org.pacsfs.core.fs.model.TreeState;

/**
 * Random operation sequences against {@link LocalFileSystem} and {@link ReferenceModel}: after every step the whole
 * tree (names, types, sizes, contents, modes, link counts, xattrs, hard-link identity, inode count, bytes stored) and
 * what every open handle sees must be equal; failures must carry the same errno. Ends with a clean close and reopen.
 */
class FileSystemModelPropertyTest {

    @Provide
    Arbitrary<List<Op>> sequences() {
        return Ops.sequences(false, 5, 40);
    }

    @Property(tries = 100, shrinking = ShrinkingMode.FULL, edgeCases = EdgeCasesMode.NONE)
    void fsBehavesLikeTheModel(@ForAll("sequences") List<Op> ops) throws Exception {
        Path dir = Files.createTempDirectory("pacsfs-model");
        try {
            FsConfig cfg = config(dir);
            ReferenceModel model = new ReferenceModel(0755);
            try (LocalFileSystem fs = LocalFileSystem.open(cfg)) {
                OpRunner run = new OpRunner(fs, model);
                check(run, "initial");
                for (Op op : Ops.prelude()) {
                    run.step(op);
                }
                check(run, "after the prelude");
                for (Op op : ops) {
                    run.step(op);
                    check(run, "after op #" + run.done() + " " + op);
                }
            }
            // a clean close drops the handles (and the unlinked open files); the reopened index is trusted
            model.dropAllHandles();
            try (LocalFileSystem fs = LocalFileSystem.open(cfg)) {
                if (!fs.recoveryInfo().indexTrusted()) {
                    throw new AssertionError("index not trusted after a clean close");
                }
                compare(FsTreeReader.read(fs), model.state(false), "after clean close and reopen");
            }
        } finally {
            deleteTree(dir);
        }
    }

    @net.jqwik.api.lifecycle.AfterContainer
    static void printOutcomes() {
        if (OpRunner.OUTCOMES != null) {
            System.out.println("outcomes: " + OpRunner.OUTCOMES);
        }
    }

    static FsConfig config(Path dir) {
        return FsConfig.defaults(dir).withIndexSize(10_000, 100_000);
    }

    static void check(OpRunner run, String when) throws FsException {
        compare(FsTreeReader.read(run.fs()), run.model().state(true), when);
        run.checkHandles();
    }

    static void compare(TreeState fs, TreeState model, String when) {
        if (!fs.equals(model)) {
            throw new AssertionError(when + ": trees differ\nfs:\n" + fs + "model:\n" + model);
        }
    }

    static void deleteTree(Path dir) throws Exception {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
