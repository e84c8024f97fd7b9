package org.pacsfs.fuse.cli;

import java.io.PrintStream;
import java.util.concurrent.Callable;
import org.pacsfs.core.history.HeadAnchor;
import org.pacsfs.core.history.LogVerifier;
import org.pacsfs.core.history.Problem;
import org.pacsfs.core.history.VerifyReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code pacsfs verify s3://BUCKET[/PREFIX]}: audit the filesystem in the bucket (hash chain, every chunk), print the
 * head anchor. Exit status: 0 verified, 3 problems found (each named on stdout), 1 could not run, 2 usage.
 */
@Command(name = "verify", description = {
        "Audit a filesystem in the bucket without mounting it: walk the metadata log's hash chain from the first segment "
                + "to the head, check every segment and every chunk it references (present; size, CRC32C and SHA-256 as "
                + "the log recorded), and print the head anchor to record elsewhere as tamper evidence.",
        "Exit status: 0 verified, 3 problems found (each named), 1 could not run. Progress goes to stderr."})
final class VerifyCommand implements Callable<Integer> {

    /** Exit status when the run completed and found problems. */
    static final int PROBLEMS_FOUND = 3;

    @Parameters(index = "0", arity = "0..1", paramLabel = "s3://BUCKET[/PREFIX]", converter = S3Location.Converter.class,
            description = "Where the filesystem lives (omit with --embedded-s3).")
    S3Location location;

    @Option(names = "--expect-head", paramLabel = "SEQ:SHA256", converter = AnchorConverter.class,
            description = "A head anchor printed by an earlier verify: that segment must still have exactly this hash "
                    + "(this is what detects the removal or rewrite of the newest segments).")
    HeadAnchor expected;

    @Option(names = "--parallel", paramLabel = "N", description = "Chunk downloads in flight, 1..256. Default: 8.")
    int parallel = 8;

    @Option(names = "--quiet", description = "No progress on stderr.")
    boolean quiet;

    @Mixin
    BucketOptions bucket;

    @Override
    public Integer call() throws Exception {
        if (parallel < 1 || parallel > 256) {
            throw new CliException("--parallel must be 1..256, got " + parallel);
        }
        try (BucketOptions.Connection conn = bucket.connect(location)) {
            String where = conn.location().toString();
            ProgressLine progress = new ProgressLine(System.err, quiet);
            // A log base is judged against now minus the retention; a test that let gc run "later" (PACSFS_GC_TEST_NOW)
            // must verify at that time too.
            VerifyReport r = new LogVerifier(conn.store(), "", parallel, progress::update, GcCommand.clock()).verify(expected);
            progress.finish();
            SettingsCheck settings = SettingsCheck.of(conn.store());
            print(System.out, where, r, settings);
            if (expected != null && r.logBase() != null && expected.seq() < r.logBase().checkpointSeq()) {
                System.out.println("anchor:     segment " + expected.seq() + " was pruned by pacsfs gc (the log begins at segment "
                        + r.logBase().seq() + "): the anchor cannot be checked any more; record the head above instead");
            }
            return r.ok() && settings.problem() == null ? 0 : PROBLEMS_FOUND;
        }
    }

    static void print(PrintStream out, String where, VerifyReport r) {
        print(out, where, r, null);
    }

    /**
     * The filesystem's settings (settings.json, docs/FORMAT.md) as verify reports them: what they say, whether the
     * bucket's Object Lock backs WORM up, and a problem line if the object is there but does not verify.
     */
    record SettingsCheck(String line, String problem) {
        static SettingsCheck of(org.pacsfs.core.store.ObjectStore store) {
            org.pacsfs.core.bucket.FsSettings s;
            try {
                var stored = org.pacsfs.core.bucket.FsSettings.read(store, org.pacsfs.core.bucket.BucketKeys.under(""));
                if (stored.isEmpty()) {
                    try {
                        org.pacsfs.core.bucket.FsSettings.require(store, org.pacsfs.core.bucket.BucketKeys.under(""));
                    } catch (IllegalStateException missing) { // a log without settings: they were deleted or lost
                        return new SettingsCheck("(missing)", "PROBLEM SETTINGS_MISSING " + missing.getMessage());
                    }
                    return new SettingsCheck("none stored yet: " + org.pacsfs.core.bucket.FsSettings.DEFAULTS
                            + " (the filesystem has committed nothing)", null);
                }
                s = stored.get();
            } catch (IllegalStateException e) {
                return new SettingsCheck("(damaged)", "PROBLEM SETTINGS_DAMAGED settings.json: " + e.getMessage());
            } catch (org.pacsfs.core.store.ObjectStoreException e) {
                return new SettingsCheck("(unreadable)", "PROBLEM UNREADABLE settings.json: " + e.getMessage());
            }
            String lock = "";
            if (s.worm() && store instanceof org.pacsfs.core.store.s3.S3ObjectStore s3) {
                var status = s3.objectLock();
                lock = status.enabled() ? "; Object Lock enabled on the bucket" : "; no Object Lock: WORM is enforced by pacsfs only ("
                        + status.detail() + ")";
            }
            return new SettingsCheck(s + lock, null);
        }
    }

    static void print(PrintStream out, String where, VerifyReport r, SettingsCheck settings) {
        out.println("filesystem: " + (r.fsId() == null ? "(unknown)" : r.fsId()) + " in " + where);
        out.println("log:        " + r.segments() + " segments" + (r.logBase() == null ? "" : ", from segment "
                + r.logBase().seq() + ": pruned by pacsfs gc before it (log base logbase/" + String.format("%020d", r.logBase().seq())
                + "; the state before it is checkpoint " + r.logBase().checkpointSeq() + " " + r.logBase().checkpointName()
                + "; history from " + r.logBase().time() + ")")
                + (r.belowBase() > 0 ? "; " + r.belowBase() + " segment(s) below the base still in the bucket (a prune not "
                + "finished: the next pacsfs gc --apply deletes them; not checked, not a problem)" : ""));
        out.println("chunks:     " + r.chunks() + " checked, " + human(r.chunkBytes()) + " stored bytes"
                + (r.unreferencedChunks() > 0 ? "; " + r.unreferencedChunks() + " unreferenced (uploads never committed; not a problem)" : "")
                + (r.expiredChunks() > 0 ? "; " + r.expiredChunks() + " expired (removed by pacsfs gc after the retention, as its records in gc/ say; not a problem)" : ""));
        out.println("checkpoints:" + " " + r.checkpoints() + " compared with the chain");
        out.println("head:       " + (r.head() == null ? "(none: the log is empty or its last segment is missing)" : r.head()));
        if (settings != null) {
            out.println("settings:   " + settings.line());
        }
        for (Problem p : r.problems()) {
            out.println("PROBLEM " + p);
        }
        int problems = r.problems().size() + (settings != null && settings.problem() != null ? 1 : 0);
        if (problems > r.problems().size()) {
            out.println(settings.problem());
        }
        out.println(problems == 0 ? "result:     OK" : "result:     " + problems + " problem(s)");
        out.flush();
    }

    /** Bytes for people: B, KiB, MiB, GiB, TiB with one decimal. */
    static String human(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? bytes + " B" : String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** One progress line on stderr, at most once a second (rewritten in place on a terminal). */
    static final class ProgressLine {
        private final PrintStream err;
        private final boolean quiet;
        private final boolean terminal = System.console() != null;
        private long lastNs;
        private String lastText;

        ProgressLine(PrintStream err, boolean quiet) {
            this.err = err;
            this.quiet = quiet;
        }

        void update(long seq, long lastSeq, long chunks, long bytes, int problems) {
            lastText = String.format("verify: segment %d/%d, %d chunks (%s) checked, %d problem(s)",
                    seq, lastSeq, chunks, human(bytes), problems);
            long now = System.nanoTime();
            if (!quiet && now - lastNs > 1_000_000_000L) {
                lastNs = now;
                err.print(terminal ? "\r" + lastText : lastText + "\n");
                err.flush();
            }
        }

        void finish() {
            if (!quiet && lastText != null) {
                err.print(terminal ? "\r" + lastText + "\n" : lastText + "\n");
                err.flush();
            }
        }
    }

    static final class AnchorConverter implements ITypeConverter<HeadAnchor> {
        @Override
        public HeadAnchor convert(String value) {
            try {
                return HeadAnchor.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("--expect-head: " + e.getMessage());
            }
        }
    }
}
