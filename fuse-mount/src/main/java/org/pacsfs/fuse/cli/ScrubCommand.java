package org.pacsfs.fuse.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.pacsfs.core.history.ChunkOutcome;
import org.pacsfs.core.history.Problem;
import org.pacsfs.core.history.ScrubException;
import org.pacsfs.core.history.ScrubReport;
import org.pacsfs.core.history.ScrubSelection;
import org.pacsfs.core.history.ScrubTotals;
import org.pacsfs.core.history.Scrubber;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code pacsfs scrub s3://BUCKET[/PREFIX]}: check all or a sample of the chunks, repair from a local disk cache, resume
 * an interrupted run. Exit status as for verify: 0 nothing wrong remains, 3 problems remain, 1 could not run, 2 usage.
 */
@Command(name = "scrub", description = {
        "Check the chunks the metadata log references (all, or a sample chosen by chunk id) exactly as verify does, and "
                + "with --repair restore a chunk that is missing or damaged in the bucket from an intact copy in a mount's "
                + "disk cache (only bytes that match the log's size, CRC32C and SHA-256 are ever uploaded).",
        "An interrupted run continues with --resume. Exit status: 0 nothing wrong remains, 3 problems remain (each "
                + "named), 1 could not run. Progress goes to stderr. See docs/HISTORY.md."})
final class ScrubCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "s3://BUCKET[/PREFIX]", converter = S3Location.Converter.class,
            description = "Where the filesystem lives (omit with --embedded-s3).")
    S3Location location;

    @Option(names = "--sample", paramLabel = "FRACTION",
            description = "Check only this share of the chunks, more than 0 and at most 1 (e.g. 0.1), chosen by chunk id and --seed.")
    Double sample;

    @Option(names = "--all", description = "Check every chunk (the default).")
    boolean all;

    @Option(names = "--seed", paramLabel = "N", description = "Which sample: consecutive seeds take consecutive, non-overlapping "
            + "samples, so with --sample 1/N the runs with N consecutive seeds check every chunk once. Default: today's "
            + "day number (UTC), so a daily run covers the whole filesystem every 1/FRACTION days.")
    Long seed;

    @Option(names = "--repair", description = "Restore missing or damaged chunks from an intact copy in the disk cache of "
            + "--cache-dir (or --disk-cache-dir).")
    boolean repair;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "The --cache-dir of a mount of this filesystem: its disk "
            + "cache (DIR/cache) is searched for intact copies. Only read; may be in use by the mount.")
    Path cacheDir;

    @Option(names = "--disk-cache-dir", paramLabel = "DIR", description = "The mount's --disk-cache-dir, if it had one.")
    Path diskCacheDir;

    @Option(names = "--resume", description = "Continue an interrupted scrub of this filesystem after the last segment it "
            + "completed, with its sample (starts from the beginning when there is none).")
    boolean resume;

    @Option(names = "--state-file", paramLabel = "FILE", description = "Where the position of a running scrub is kept for "
            + "--resume. Default: $XDG_STATE_HOME/pacsfs/scrub/<bucket>_<prefix>.state (~/.local/state if unset).")
    Path stateFile;

    @Option(names = "--parallel", paramLabel = "N", description = "Chunk downloads in flight, 1..256. Default: 8.")
    int parallel = 8;

    @Option(names = "--list", description = "Also print a line for each chunk that is OK (by default only the others).")
    boolean list;

    @Option(names = "--quiet", description = "No progress on stderr.")
    boolean quiet;

    @Mixin
    BucketOptions bucket;

    @Override
    public Integer call() throws Exception {
        ScrubSelection selection = selection();
        Path disk = diskCache();
        if (parallel < 1 || parallel > 256) {
            throw usage("--parallel must be 1..256, got " + parallel);
        }
        try (BucketOptions.Connection conn = bucket.connect(location)) {
            Path state = stateFile != null ? stateFile : defaultStateFile(conn.location());
            PrintStream out = System.out;
            Progress progress = new Progress(System.err, quiet);
            Scrubber scrubber = new Scrubber(conn.store(), "", parallel, disk, state, Duration.ofSeconds(1),
                    listener(out, progress), Clock.systemUTC());
            Thread hook = new Thread(() -> saveOnInterrupt(scrubber), "pacsfs-scrub-save");
            Runtime.getRuntime().addShutdownHook(hook);
            ScrubReport r;
            try {
                r = scrubber.run(selection, resume);
            } catch (ScrubException e) {
                throw new CliException(e.getMessage());
            } finally {
                removeHook(hook);
            }
            progress.finish();
            print(out, conn.location().toString(), r);
            return r.ok() ? 0 : VerifyCommand.PROBLEMS_FOUND;
        }
    }

    /** The sample asked for; null when --resume is given without one (the interrupted run's then applies). */
    private ScrubSelection selection() {
        if (all && sample != null) {
            throw usage("--all and --sample exclude each other: give one (or neither, to check every chunk)");
        }
        if (sample == null) {
            if (seed != null) {
                throw usage("--seed chooses a sample: give it with --sample FRACTION");
            }
            return all || !resume ? ScrubSelection.all() : null;
        }
        try {
            return new ScrubSelection(sample, seed != null ? seed : LocalDate.now(ZoneOffset.UTC).toEpochDay());
        } catch (IllegalArgumentException e) {
            throw usage("--sample: " + e.getMessage());
        }
    }

    private Path diskCache() {
        if (!repair) {
            if (cacheDir != null || diskCacheDir != null) {
                throw usage("--cache-dir and --disk-cache-dir say where to repair from: give them with --repair");
            }
            return null;
        }
        if (diskCacheDir != null) {
            return diskCacheDir;
        }
        if (cacheDir == null) {
            throw usage("--repair needs the mount's --cache-dir DIR (or --disk-cache-dir DIR): that is where intact copies are looked for");
        }
        return cacheDir.resolve("cache");
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    static Path defaultStateFile(S3Location location) {
        String xdg = System.getenv("XDG_STATE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "state");
        return base.resolve("pacsfs").resolve("scrub").resolve(location.localName() + ".state");
    }

    private static void saveOnInterrupt(Scrubber scrubber) {
        try {
            scrubber.saveProgress();
        } catch (IOException e) {
            System.err.println("pacsfs: the scrub's position could not be saved: " + e.getMessage());
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs
        }
    }

    private Scrubber.Listener listener(PrintStream out, Progress progress) {
        return new Scrubber.Listener() {
            @Override
            public void chunk(ChunkOutcome o) {
                if (list || o.status() != ChunkOutcome.Status.OK) {
                    synchronized (out) {
                        progress.clearLine();
                        out.println("CHUNK " + o);
                        out.flush();
                    }
                }
            }

            @Override
            public void segmentProblem(Problem p) {
                synchronized (out) {
                    progress.clearLine();
                    out.println("PROBLEM " + p);
                    out.flush();
                }
            }

            @Override
            public void segmentDone(long seq, long lastSeq, ScrubTotals totals) {
                progress.update(seq, lastSeq, totals);
            }
        };
    }

    static void print(PrintStream out, String where, ScrubReport r) {
        ScrubTotals t = r.totals();
        out.println("filesystem: " + r.fsId() + " in " + where);
        out.println("selection:  " + r.selection());
        if (r.resumedAfter() > 0) {
            out.println("resumed:    after segment " + r.resumedAfter() + " (totals include the earlier part)");
        }
        out.println("log:        " + t.segments() + " segments walked, up to segment " + r.lastSeq());
        out.println("chunks:     " + t.chunks() + " checked, " + VerifyCommand.human(t.bytes()) + " stored bytes: " + t.ok() + " ok, "
                + t.repaired() + " repaired, " + t.notRepaired() + " not repaired, " + t.unrepairable() + " unrepairable, "
                + t.unreadable() + " unreadable");
        if (t.segmentProblems() > 0) {
            out.println("segments:   " + t.segmentProblems() + " missing or unreadable (their chunks could not be checked)");
        }
        out.println(r.ok() ? "result:     OK" : "result:     " + t.problems() + " problem(s) remain");
        out.flush();
    }

    /**
     * One progress line on stderr, at most once a second (rewritten in place on a terminal): segments done of all,
     * chunks and bytes checked, the rate of this run, and an estimate of the time left from the share of segments
     * walked (the number of chunks is only known once every segment is read).
     */
    static final class Progress {
        private final PrintStream err;
        private final boolean quiet;
        private final boolean terminal = System.console() != null;
        private final long startNs = System.nanoTime();
        private long firstSeq = -1;
        private long bytesAtStart = -1;
        private long lastNs;
        private String lastText;

        Progress(PrintStream err, boolean quiet) {
            this.err = err;
            this.quiet = quiet;
        }

        synchronized void update(long seq, long lastSeq, ScrubTotals t) {
            if (firstSeq < 0) {
                firstSeq = seq;
                bytesAtStart = t.bytes();
            }
            long now = System.nanoTime();
            double secs = Math.max(1e-3, (now - startNs) / 1e9);
            long done = seq - firstSeq + 1;
            double eta = secs / done * (lastSeq - seq);
            lastText = String.format(Locale.ROOT, "scrub: segment %d/%d (%d%%), %d chunks (%s) checked, %s/s, ETA %s; %d repaired, %d problem(s)",
                    seq, lastSeq, lastSeq == 0 ? 100 : 100 * seq / lastSeq, t.chunks(), VerifyCommand.human(t.bytes()),
                    VerifyCommand.human((long) ((t.bytes() - bytesAtStart) / secs)), duration((long) eta), t.repaired(), t.problems());
            if (!quiet && now - lastNs > 1_000_000_000L) {
                lastNs = now;
                err.print(terminal ? "\r" + lastText : lastText + "\n");
                err.flush();
            }
        }

        /** Before a report line on stdout: a terminal's progress line is ended so the two do not mix. */
        synchronized void clearLine() {
            if (!quiet && terminal && lastNs != 0) {
                err.print("\n");
                err.flush();
            }
        }

        synchronized void finish() {
            if (!quiet && lastText != null) {
                err.print(terminal ? "\r" + lastText + "\n" : lastText + "\n");
                err.flush();
            }
        }

        static String duration(long s) {
            return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
                    : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
    }
}
