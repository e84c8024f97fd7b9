package org.pacsfs.core.fs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;
import org.pacsfs.core.fs.model.FsTreeReader;
import org.pacsfs.core.fs.model.Op;
import org.pacsfs.core.fs.model.OpRunner;
import org.pacsfs.core.fs.model.Ops;
import org.pacsfs.core.fs.model.PowerLossChannels;
import org.pacsfs.core.fs.model.ReferenceModel;
import org.pacsfs.core.fs.model.TreeState;

/**
 * The random operations of {@link FileSystemModelPropertyTest} with crashes ({@link Op.Crash}) at random points.
 * <ul>
 * <li>Process crash ({@link LocalFileSystem#crashForTesting()}, the log's page cache survives): after reopening, the
 * tree equals the model after all operations.</li>
 * <li>Power loss ({@link PowerLossChannels}: every log byte not forced is lost, the last page may be torn; the
 * memory-mapped index keeps its newer state): the tree equals the model after some prefix of the operations that
 * contains every operation a returned fsync, fsyncdir or syncAll covered. The run continues from that prefix.</li>
 * </ul>
 */
class CrashRecoveryPropertyTest {

    @net.jqwik.api.lifecycle.AfterContainer
    static void printOutcomes() {
        FileSystemModelPropertyTest.printOutcomes();
    }

    @Provide
    Arbitrary<List<Op>> sequences() {
        return Ops.crashSequences(5, 40);
    }

    @Property(tries = 50, edgeCases = EdgeCasesMode.NONE)
    void processCrashLosesNothing(@ForAll("sequences") List<Op> ops) throws Exception {
        Path dir = Files.createTempDirectory("pacsfs-crash");
        try {
            FsConfig cfg = FileSystemModelPropertyTest.config(dir);
            ReferenceModel model = new ReferenceModel(0755);
            OpRunner run = new OpRunner(LocalFileSystem.open(cfg), model);
            try {
                for (Op op : Ops.prelude()) {
                    run.step(op);
                }
                List<Op> all = new ArrayList<>(ops);
                all.add(new Op.Crash());
                for (Op op : all) {
                    if (!(op instanceof Op.Crash)) {
                        run.step(op);
                        continue;
                    }
                    run.fs().crashForTesting();
                    LocalFileSystem fs = LocalFileSystem.open(cfg);
                    run.restart(fs, model, run.done());
                    if (fs.recoveryInfo().indexTrusted()) {
                        throw new AssertionError("the index was trusted after a crash");
                    }
                    FileSystemModelPropertyTest.compare(FsTreeReader.read(fs), model.state(false),
                            "after a process crash following op #" + run.done());
                }
            } finally {
                run.fs().close();
            }
        } finally {
            FileSystemModelPropertyTest.deleteTree(dir);
        }
    }

    @Property(tries = 50, edgeCases = EdgeCasesMode.NONE)
    void powerLossKeepsASyncedPrefix(@ForAll("sequences") List<Op> ops, @ForAll @LongRange long seed) throws Exception {
        Path dir = Files.createTempDirectory("pacsfs-powerloss");
        Random random = new Random(seed);
        try {
            PowerLossChannels[] disk = {new PowerLossChannels()};
            FsConfig cfg = FileSystemModelPropertyTest.config(dir)
                    .withWalTuning(c -> c.withSegmentSizeBytes(4 << 20).withChannelFactory(disk[0]));
            // snapshots.get(i): the tree (as after a crash) once operation number base + i has run
            List<TreeState> states = new ArrayList<>();
            List<ReferenceModel> models = new ArrayList<>();
            ReferenceModel model = new ReferenceModel(0755);
            states.add(model.state(false));
            models.add(model.copy());
            int base = 0;
            OpRunner run = new OpRunner(LocalFileSystem.open(cfg), model);
            try {
                List<Op> all = new ArrayList<>(Ops.prelude());
                for (Op op : ops) {
                    // one prefix state per write-log record: a torn log tail may keep part of a multi-write op
                    if (op instanceof Op.SmallWrites w) {
                        all.addAll(w.expand());
                    } else {
                        all.add(op);
                    }
                }
                all.add(new Op.Crash());
                for (Op op : all) {
                    if (!(op instanceof Op.Crash)) {
                        run.step(op);
                        states.add(run.model().state(false));
                        models.add(run.model().copy());
                        continue;
                    }
                    int bound = run.syncBound();
                    disk[0].powerCut();
                    run.fs().crashForTesting();
                    disk[0].restore(random, random.nextBoolean());
                    disk[0] = new PowerLossChannels();
                    LocalFileSystem fs = LocalFileSystem.open(cfg);
                    TreeState got = FsTreeReader.read(fs);
                    int match = -1;
                    for (int k = run.done(); k >= Math.max(bound, base); k--) {
                        if (states.get(k - base).equals(got)) {
                            match = k;
                            break;
                        }
                    }
                    if (match < 0) {
                        fs.crashForTesting();
                        throw new AssertionError("after power loss following op #" + run.done() + " the tree matches no state after ops #"
                                + Math.max(bound, base) + ".." + run.done() + " (synced through #" + bound + ")\nrecovered:\n" + got
                                + "state after the synced op #" + Math.max(bound, base) + ":\n" + states.get(Math.max(bound, base) - base)
                                + "state after the last op #" + run.done() + ":\n" + states.get(run.done() - base));
                    }
                    if (OpRunner.OUTCOMES != null) {
                        OpRunner.OUTCOMES.merge("powerloss " + (match == run.done() ? "kept all" : "lost ops")
                                + (bound >= base ? ", synced" : ""), 1, Integer::sum);
                    }
                    ReferenceModel resumed = models.get(match - base).copy();
                    run.restart(fs, resumed, run.done());
                    base = run.done();
                    states.clear();
                    models.clear();
                    states.add(got);
                    models.add(resumed.copy());
                }
            } finally {
                run.fs().close();
            }
        } finally {
            FileSystemModelPropertyTest.deleteTree(dir);
        }
    }
}
