package org.pacsfs.fuse.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.concurrent.Callable;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.bucket.FsSettings;
import org.pacsfs.core.history.GarbageCollector;
import org.pacsfs.core.history.GcException;
import org.pacsfs.core.history.GcPlan;
import org.pacsfs.core.history.GcRecord;
import org.pacsfs.core.store.BatchDeleteResult;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code pacsfs gc s3://BUCKET[/PREFIX]}: remove the chunk objects no retained version needs. A dry run unless
 * {@code --apply}. Exit status: 0 done (or nothing to do), 3 some chunks could not be removed, 1 could not run, 2 usage.
 */
@Command(name = "gc", description = {
        "Remove the chunk objects that no file needs any more, now or at any time within the retention: data deleted or "
                + "overwritten longer ago than the retention (the filesystem's, or a longer --retention), and uploads whose "
                + "log segment never came that are older than the retention and 7 days. Then it prunes the metadata log: "
                + "the segments before the newest checkpoint at or before the cutoff go, a log base (logbase/) records "
                + "where the log now begins.",
        "A dry run by default: prints what it would remove. --apply removes it, first recording each batch under gc/ in "
                + "the bucket (so that verify reports those chunks as expired, not missing). Safe while the filesystem is "
                + "mounted. An interrupted --apply continues with --apply --resume. See docs/HISTORY.md."})
final class GcCommand implements Callable<Integer> {

    /** Environment variable for tests: GC's "now" (an ISO-8601 instant) instead of this machine's clock. */
    static final String TEST_CLOCK_ENV = "PACSFS_GC_TEST_NOW";

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "s3://BUCKET[/PREFIX]", converter = S3Location.Converter.class,
            description = "Where the filesystem lives (omit with --embedded-s3).")
    S3Location location;

    @Option(names = "--apply", description = "Remove what the dry run shows (without it nothing is changed).")
    boolean apply;

    @Option(names = "--retention", paramLabel = "DURATION", description = "Keep deleted and overwritten data this long: at "
            + "least the filesystem's retention (settings.json; gc refuses to guess it if that is missing), which is the default. "
            + FsSettings.DURATION_FORMS)
    String retention;

    @Option(names = "--resume", description = "With --apply: continue an interrupted GC from its saved plan.")
    boolean resume;

    @Option(names = "--state-file", paramLabel = "FILE", description = "Where the plan of a running --apply is kept for "
            + "--resume. Default: $XDG_STATE_HOME/pacsfs/gc/<bucket>_<prefix>.plan (~/.local/state if unset).")
    Path stateFile;

    @Option(names = "--verbose", description = "Also print each chunk to remove (REMOVE key reason size).")
    boolean verbose;

    @Option(names = "--quiet", description = "No progress on stderr.")
    boolean quiet;

    @Mixin
    BucketOptions bucket;

    @Override
    public Integer call() throws Exception {
        Duration asked = retention();
        if (resume && !apply) {
            throw usage("--resume continues an interrupted --apply: give both");
        }
        if (stateFile != null && !apply) {
            throw usage("--state-file is where --apply keeps its plan: give it with --apply (a dry run saves nothing)");
        }
        if (resume && retention != null) {
            throw usage("--resume continues with the interrupted run's retention: leave --retention out");
        }
        Clock clock = clock();
        Path scratch = Files.createTempDirectory("pacsfs-gc-");
        try (BucketOptions.Connection conn = bucket.connect(location)) {
            Path state = stateFile != null ? stateFile : defaultStateFile(conn.location());
            GcProgress progress = new GcProgress(System.err, quiet);
            // The log base is written once, with the Object Lock retention the other written-once objects get.
            GarbageCollector gc = new GarbageCollector(WormOptions.writerStore(conn.store()), "", scratch, HistoryView.scratchConfig(scratch), clock, progress);
            PrintStream out = System.out;
            String where = conn.location().toString();
            if (resume) {
                GarbageCollector.Outcome o = gc.resume(state);
                progress.finish();
                out.println("filesystem: " + where + " (an interrupted GC continued)");
                return printOutcome(out, o, null);
            }
            if (apply && Files.exists(state)) {
                throw new CliException("an interrupted GC of this filesystem left its plan in " + state + ": continue it with "
                        + "pacsfs gc --apply --resume (or delete that file to start afresh)");
            }
            GcPlan plan;
            try {
                plan = gc.plan(asked);
            } catch (IllegalArgumentException e) {
                throw usage("--retention " + retention + ": " + e.getMessage());
            }
            progress.finish();
            printPlan(out, where, plan, gc.filesystemRetention(), verbose);
            if (!apply) {
                boolean nothing = plan.remove().isEmpty() && plan.prune().isEmpty();
                out.println(nothing ? "result:     nothing to remove"
                        : "result:     dry run: nothing removed; run with --apply to remove these " + plan.remove().size() + " chunk(s)"
                        + " and " + plan.prune().segmentKeys().size() + " log segment(s)");
                out.flush();
                return 0;
            }
            GarbageCollector.Outcome o = gc.apply(plan, plan.remove().isEmpty() ? null : state);
            progress.finish();
            return printOutcome(out, o, BucketKeys.under("").gcPrefix() + plan.run() + "/");
        } catch (GcException e) {
            throw new CliException(e.getMessage(), e);
        } finally {
            Directories.deleteRecursively(scratch);
        }
    }

    private Duration retention() {
        if (retention == null) {
            return null;
        }
        Duration d;
        try {
            d = FsSettings.parseDuration(retention);
        } catch (IllegalArgumentException e) {
            throw usage("--retention: " + e.getMessage());
        }
        if (d.compareTo(Duration.ofSeconds(1)) < 0 || d.compareTo(FsSettings.MAX_RETENTION) > 0) {
            throw usage("--retention must be between 1s and 100y (and at least the filesystem's retention), got " + retention);
        }
        return d;
    }

    static Clock clock() throws CliException {
        String now = System.getenv(TEST_CLOCK_ENV);
        if (now == null || now.isBlank()) {
            return Clock.systemUTC();
        }
        try {
            Instant at = Instant.parse(now.trim());
            System.err.println("pacsfs: using " + TEST_CLOCK_ENV + "=" + at + " as the current time instead of this machine's "
                    + "clock (for tests)");
            return Clock.fixed(at, ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw new CliException(TEST_CLOCK_ENV + " must be an ISO-8601 instant such as 2030-01-01T00:00:00Z, got '" + now + "'");
        }
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    static Path defaultStateFile(S3Location location) {
        String xdg = System.getenv("XDG_STATE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "state");
        return base.resolve("pacsfs").resolve("gc").resolve(location.localName() + ".plan");
    }

    static void printPlan(PrintStream out, String where, GcPlan p, Duration fsRetention, boolean verbose) {
        BucketKeys keys = BucketKeys.under("");
        if (verbose) {
            for (GcRecord.Entry e : p.remove()) {
                out.println("REMOVE " + keys.chunk(e.id()) + " " + e.reason().word() + " " + e.storedBytes());
            }
        }
        GcPlan.Kept k = p.kept();
        out.println("filesystem: " + p.fsId() + " in " + where);
        out.println("retention:  " + FsSettings.describe(p.retention()) + " (the filesystem's: " + FsSettings.describe(fsRetention)
                + "); now " + Instant.ofEpochMilli(p.runStartMs()) + ", cutoff " + p.cutoff());
        out.println("log:        head segment " + p.headSeq() + (p.prune().current() == null ? "" : ", begins at segment "
                + p.prune().current().seq()) + "; " + (p.baseSeq() == 0
                ? "none is older than the cutoff"
                : "the state as of the cutoff is the one after segment " + p.baseSeq() + " (" + p.baseTime() + ")"));
        out.println("prune:      " + describePrune(p.prune()));
        out.println("kept:       " + k.referenced() + " chunks (" + VerifyCommand.human(k.referencedBytes()) + ") needed by the "
                + "state as of the cutoff or later; " + k.young() + " (" + VerifyCommand.human(k.youngBytes()) + ") not needed but "
                + "younger than the cutoff" + (k.foreign() > 0 ? "; " + k.foreign() + " other objects under chunks/ left alone" : ""));
        out.println("remove:     " + p.count(GcRecord.Reason.EXPIRED) + " expired chunks (" + VerifyCommand.human(p.bytes(GcRecord.Reason.EXPIRED))
                + "), " + p.count(GcRecord.Reason.NEVER_REFERENCED) + " never-referenced uploads ("
                + VerifyCommand.human(p.bytes(GcRecord.Reason.NEVER_REFERENCED)) + ")");
        out.flush();
    }

    static String describePrune(org.pacsfs.core.history.LogPrune lp) {
        String objects = lp.segmentKeys().size() + " segment(s) (" + VerifyCommand.human(lp.segmentBytes()) + ")"
                + (lp.checkpointKeys().isEmpty() ? "" : ", " + lp.checkpointKeys().size() + " checkpoint object(s) ("
                + VerifyCommand.human(lp.checkpointBytes()) + ")") + (lp.baseKeys().isEmpty() ? "" : ", " + lp.baseKeys().size()
                + " older log base(s)");
        if (lp.newBase() != null) {
            return "the log will begin at segment " + lp.newBase().seq() + " (log base at checkpoint " + lp.newBase().checkpointSeq()
                    + " " + lp.newBase().checkpointName() + "; history from " + lp.newBase().time() + " on stays); remove " + objects;
        }
        return "the log keeps its start (" + lp.why() + ")" + (lp.isEmpty() ? "" : "; remove what an earlier prune left: " + objects);
    }

    private static int printOutcome(PrintStream out, GarbageCollector.Outcome o, String records) {
        for (BatchDeleteResult.Failure f : o.failures()) {
            out.println("NOT_REMOVED " + f.key() + ": " + f.errorCode() + " " + f.message());
        }
        for (BatchDeleteResult.Failure f : o.pruned().failures()) {
            out.println("NOT_REMOVED " + f.key() + ": " + f.errorCode() + " " + f.message() + " (below the log base: not part of the "
                    + "log any more; the next run tries again)");
        }
        out.println("removed:    " + o.removed() + " chunks (" + VerifyCommand.human(o.removedBytes()) + "), recorded in "
                + o.parts() + " part(s)" + (records == null || o.parts() == 0 ? "" : " under " + records)
                + (o.resumedAt() > 0 ? "; resumed at part " + o.resumedAt() + " (totals include the earlier part)" : ""));
        out.println("pruned:     " + (o.pruned().wrote() ? "log base written; " : "") + o.pruned().segmentsDeleted() + " log segment(s) ("
                + VerifyCommand.human(o.pruned().bytesDeleted()) + ") and " + o.pruned().otherDeleted()
                + " checkpoint object(s) and older log base(s) removed");
        int failed = o.failures().size() + o.pruned().failures().size();
        out.println(failed == 0 ? "result:     OK" : "result:     " + failed + " object(s) could not be removed");
        out.flush();
        return failed == 0 ? 0 : VerifyCommand.PROBLEMS_FOUND;
    }

    /**
     * Progress on stderr: on a terminal a bar rewritten in place (at most 5 times a second), otherwise a line every 5
     * seconds. Planning shows the segments read of all, then the chunk objects listed; applying shows a bar of chunks
     * removed of all.
     */
    static final class GcProgress implements GarbageCollector.Listener {
        private final PrintStream err;
        private final boolean quiet;
        private final boolean terminal = System.console() != null;
        private final long intervalNs = terminal ? 200_000_000L : 5_000_000_000L;
        private long lastNs = System.nanoTime();
        private String lastText;

        GcProgress(PrintStream err, boolean quiet) {
            this.err = err;
            this.quiet = quiet;
        }

        @Override
        public void walking(long seq, long lastSeq) {
            show("gc: reading the log " + bar(seq, lastSeq) + " segment " + seq + "/" + lastSeq);
        }

        @Override
        public void listing(long listed) {
            show("gc: listing chunks: " + listed + " so far");
        }

        @Override
        public void removing(long done, long total, long bytes) {
            show("gc: removing " + bar(done, total) + " " + done + "/" + total + " chunks (" + VerifyCommand.human(bytes) + ")");
        }

        static String bar(long done, long total) {
            int width = 30;
            int filled = total <= 0 ? width : (int) Math.min(width, done * width / total);
            return "[" + "#".repeat(filled) + "-".repeat(width - filled) + "] " + (total <= 0 ? 100 : done * 100 / total) + "%";
        }

        private synchronized void show(String text) {
            lastText = text;
            long now = System.nanoTime();
            if (!quiet && now - lastNs >= intervalNs) {
                lastNs = now;
                err.print(terminal ? "\r" + pad(text) : text + "\n");
                err.flush();
            }
        }

        private String pad(String text) {
            return text.length() >= 100 ? text : text + " ".repeat(100 - text.length());
        }

        synchronized void finish() {
            if (!quiet && lastText != null) {
                err.print(terminal ? "\r" + pad(lastText) + "\n" : lastText + "\n");
                err.flush();
            }
            lastText = null;
        }
    }
}
