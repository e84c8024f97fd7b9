package org.pacsfs.fuse.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.pacsfs.core.audit.AuditEvent;
import org.pacsfs.core.audit.AuditKey;
import org.pacsfs.core.audit.AuditKind;
import org.pacsfs.core.audit.AuditReader;
import org.pacsfs.core.bucket.BucketKeys;
import org.pacsfs.core.bucket.Superblock;
import org.pacsfs.core.history.PointInTime;
import org.pacsfs.core.store.ObjectStoreException;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code pacsfs audit s3://BUCKET[/PREFIX]}: decrypts and prints the access-audit trail, verifying every segment's
 * authentication tag and each stream's hash chain. Exit status: 0 verified, 3 problems found (each named), 1 could not
 * run (also: no stream was written with the key given), 2 usage.
 */
@Command(name = "audit", description = {
        "Print the access-audit trail of a filesystem (who opened, read, wrote, renamed, removed what; recorded by mounts "
                + "with --audit-key-file or --audit), decrypting it with the key and verifying that no segment was altered, "
                + "removed or reordered.",
        "Exit status: 0 verified, 3 problems found (each named on stdout), 1 could not run or wrong key, 2 usage error."})
final class AuditCommand implements Callable<Integer> {

    @Parameters(index = "0", arity = "0..1", paramLabel = "s3://BUCKET[/PREFIX]", converter = S3Location.Converter.class,
            description = "Where the filesystem lives (omit with --embedded-s3).")
    S3Location location;

    @Option(names = "--key-file", paramLabel = "FILE", description = "The audit key (as given to mount --audit-key-file). "
            + "Default: the environment variable " + AuditKey.ENVIRONMENT + ".")
    Path keyFile;

    @Option(names = "--since", paramLabel = "TIME", converter = SinceConverter.class,
            description = "Only events at or after TIME (2025-06-01T12:00:00Z, or a local date-time 2025-06-01T14:00).")
    Instant since;

    @Option(names = "--until", paramLabel = "TIME", converter = UntilConverter.class, description = "Only events before TIME.")
    Instant until;

    @Option(names = "--path", paramLabel = "PATH", description = "Only events on PATH or below it (either path of a rename or link).")
    String path;

    @Option(names = "--json", description = "One JSON object per line (JSON Lines) instead of text columns.")
    boolean json;

    @Mixin
    BucketOptions bucket;

    @Override
    public Integer call() throws Exception {
        AuditKey key = key();
        String under = path == null ? null : HistoryView.absolute(path.endsWith("/") && path.length() > 1
                ? path.substring(0, path.length() - 1) : path);
        try (BucketOptions.Connection conn = bucket.connect(location)) {
            UUID fsId = fsId(conn);
            Printer printer = new Printer(System.out, json, since, until, under);
            AuditReader.Summary s = AuditReader.read(conn.store(), BucketKeys.under(""), key, fsId, printer);
            if (s.streams() > 0 && s.streamsOtherKey() == s.streams()) {
                throw new CliException("wrong audit key: no stream of the trail in " + conn.location() + " was written with the "
                        + "key given (id " + key.idHex() + "); " + printer.firstOtherKey);
            }
            printer.summary(conn.location().toString(), key, s);
            return s.problems() == 0 ? 0 : VerifyCommand.PROBLEMS_FOUND;
        } catch (ObjectStoreException e) {
            throw new CliException("cannot read the audit trail: " + e.getMessage(), e);
        }
    }

    private AuditKey key() throws CliException {
        if (keyFile != null) {
            return AuditOptions.fromFile(keyFile);
        }
        String env = System.getenv(AuditKey.ENVIRONMENT);
        if (env == null || env.isBlank()) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "give the audit key with --key-file FILE or in the environment variable " + AuditKey.ENVIRONMENT);
        }
        try {
            return AuditKey.parse(env, "the environment variable " + AuditKey.ENVIRONMENT);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
    }

    private static UUID fsId(BucketOptions.Connection conn) throws CliException {
        try {
            return Superblock.read(conn.store(), BucketKeys.under("")).map(Superblock::fsId)
                    .orElseThrow(() -> new CliException(conn.location() + " holds no pacsfs filesystem (no pacsfs.json)"));
        } catch (org.pacsfs.core.bucket.SuperblockException e) {
            throw new CliException(e.getMessage());
        }
    }

    /** Prints events as they are read (one segment in memory at a time), filtered; problems as they are found. */
    static final class Printer implements AuditReader.Listener {
        private final PrintStream out;
        private final boolean json;
        private final Instant since;
        private final Instant until;
        private final String under;
        long shown;
        String firstOtherKey = "";
        private final List<String> unfinished = new ArrayList<>();

        Printer(PrintStream out, boolean json, Instant since, Instant until, String under) {
            this.out = out;
            this.json = json;
            this.since = since;
            this.until = until;
            this.under = under;
        }

        @Override
        public void stream(String streamHex, boolean readable, String detail) {
            if (!readable) {
                if (firstOtherKey.isEmpty()) {
                    firstOtherKey = "the trail was " + detail.substring(0, 1).toLowerCase() + detail.substring(1);
                }
                System.err.println("pacsfs: stream " + streamHex + " skipped: " + detail);
            }
        }

        @Override
        public void event(String streamHex, long seq, AuditEvent e) {
            if ((since != null && e.time().isBefore(since)) || (until != null && !e.time().isBefore(until))
                    || (under != null && !below(e.path()) && !below(e.path2()))) {
                return;
            }
            shown++;
            out.println(json ? json(streamHex, seq, e) : text(e));
        }

        private boolean below(String p) {
            return "/".equals(under) ? p.startsWith("/") : p.equals(under) || p.startsWith(under + "/");
        }

        @Override
        public void dropped(String streamHex, long seq, long count) {
            out.println(json ? "{\"stream\":\"" + streamHex + "\",\"segment\":" + seq + ",\"dropped\":" + count + "}"
                    : "DROPPED " + count + " event(s) not recorded before segment " + seq + " of stream " + streamHex
                    + " (the audit queue was full, or a segment could not be written)");
        }

        @Override
        public void problem(AuditReader.Problem p) {
            out.println(p);
        }

        @Override
        public void unfinished(String streamHex, long lastSeq) {
            unfinished.add(streamHex + " (last segment " + lastSeq + ")");
        }

        void summary(String where, AuditKey key, AuditReader.Summary s) {
            // The summary goes to stderr with --json, so that stdout stays pure JSON Lines.
            PrintStream to = json ? System.err : out;
            for (String u : unfinished) {
                to.println("NOTE stream " + u + " has no final segment: its mount is still running, or stopped without "
                        + "unmounting (its last events were lost), or its last segments were removed");
            }
            to.println("trail:      " + where + "audit/, key id " + key.idHex());
            to.println("streams:    " + s.streams() + (s.streamsOtherKey() > 0 ? " (" + s.streamsOtherKey() + " written with another key, skipped)" : "")
                    + ", " + s.segments() + " segments, " + s.events() + " events" + (shown != s.events() ? " (" + shown + " shown)" : "")
                    + (s.dropped() > 0 ? ", " + s.dropped() + " dropped" : ""));
            to.println(s.problems() == 0 ? "result:     OK (every segment authentic and in its chain)" : "result:     " + s.problems() + " problem(s)");
            to.flush();
            out.flush();
        }

        static String text(AuditEvent e) {
            StringBuilder b = new StringBuilder();
            b.append(e.time()).append(' ').append("uid=").append(e.uid()).append(" gid=").append(e.gid()).append(" pid=").append(e.pid());
            if (!e.process().isEmpty()) {
                b.append(" (").append(e.process()).append(')');
            }
            b.append(' ').append(e.kind()).append(' ').append(e.path());
            if (!e.path2().isEmpty()) {
                b.append(e.kind() == AuditKind.SETXATTR || e.kind() == AuditKind.REMOVEXATTR ? " name=" : " -> ").append(e.path2());
            }
            if (e.ino() >= 0) {
                b.append(" ino=").append(e.ino());
            }
            List<String> names = e.kind().valueNames();
            for (int i = 0; i < names.size() && i < e.values().length; i++) {
                b.append(' ').append(names.get(i)).append('=').append(value(names.get(i), e.values()[i]));
            }
            b.append(e.errno() == 0 ? " ok" : " error=" + errnoName(e.errno()));
            return b.toString();
        }

        private static String value(String name, long v) {
            return switch (name) {
                case "mode" -> String.format("%04o", v);
                case "flags" -> openFlags(v);
                case "firstIoMs", "lastIoMs" -> v == 0 ? "-" : Instant.ofEpochMilli(v).toString();
                default -> Long.toString(v);
            };
        }

        static String openFlags(long f) {
            String access = switch ((int) (f & 3)) {
                case 0 -> "read";
                case 1 -> "write";
                default -> "read-write";
            };
            StringBuilder b = new StringBuilder(access);
            if ((f & 0100) != 0) {
                b.append("|create");
            }
            if ((f & 01000) != 0) {
                b.append("|truncate");
            }
            if ((f & 02000) != 0) {
                b.append("|append");
            }
            return b.toString();
        }

        static String errnoName(int errno) {
            return switch (errno) {
                case 1 -> "EPERM";
                case 2 -> "ENOENT";
                case 13 -> "EACCES";
                case 17 -> "EEXIST";
                case 21 -> "EISDIR";
                case 28 -> "ENOSPC";
                case 30 -> "EROFS";
                case 39 -> "ENOTEMPTY";
                default -> "errno " + errno;
            };
        }

        static String json(String stream, long seq, AuditEvent e) {
            StringBuilder b = new StringBuilder("{");
            field(b, "time", e.time().toString());
            field(b, "kind", e.kind().name());
            field(b, "uid", e.uid());
            field(b, "gid", e.gid());
            field(b, "pid", e.pid());
            field(b, "process", e.process());
            field(b, "path", e.path());
            if (!e.path2().isEmpty()) {
                field(b, e.kind() == AuditKind.SETXATTR || e.kind() == AuditKind.REMOVEXATTR ? "name" : "path2", e.path2());
            }
            field(b, "ino", e.ino());
            List<String> names = e.kind().valueNames();
            for (int i = 0; i < names.size() && i < e.values().length; i++) {
                field(b, names.get(i), e.values()[i]);
            }
            field(b, "errno", e.errno());
            field(b, "stream", stream);
            field(b, "segment", seq);
            b.setLength(b.length() - 1);
            return b.append('}').toString();
        }

        private static void field(StringBuilder b, String name, Object v) {
            JsonFields.append(b, name, v);
        }
    }

    static final class SinceConverter implements ITypeConverter<Instant> {
        @Override
        public Instant convert(String value) {
            return time("--since", value);
        }
    }

    static final class UntilConverter implements ITypeConverter<Instant> {
        @Override
        public Instant convert(String value) {
            return time("--until", value);
        }
    }

    private static Instant time(String option, String value) {
        try {
            return PointInTime.parse(value, ZoneId.systemDefault());
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(option + ": " + e.getMessage());
        }
    }
}
