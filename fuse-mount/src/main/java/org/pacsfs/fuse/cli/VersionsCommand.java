package org.pacsfs.fuse.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.pacsfs.core.fs.FileHistory;
import org.pacsfs.core.fs.FsException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code pacsfs versions s3://BUCKET[/PREFIX] PATH}: every committed state of a file, from the metadata log. */
@Command(name = "versions", description = {
        "List every committed state of a file, oldest first, straight from the bucket's metadata log (no mount): "
                + "time, log segment, size, SHA-256 of the content, the operations that made it, and the caller's uid/pid.",
        "TIME is when the change was made (the writer's clock); 'pacsfs cat --at TIME' and 'pacsfs restore --at TIME' "
                + "take any of these times."})
final class VersionsCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "s3://BUCKET[/PREFIX]", converter = S3Location.Converter.class)
    S3Location location;

    @Parameters(index = "1", paramLabel = "PATH")
    String path;

    @Mixin
    BucketOptions bucket;

    @Override
    public Integer call() throws Exception {
        String p = HistoryView.absolute(path);
        try (HistoryView view = HistoryView.open(bucket, location)) {
            List<FileHistory.Version> versions = view.history.versions(p);
            if (versions.isEmpty()) {
                throw new CliException(p + ": no such file at any time in the log (" + view.history.segments() + " segments"
                        + (view.history.historyStart() == null ? ")" : "; history before " + view.history.historyStart()
                        + " was pruned by pacsfs gc)"));
            }
            System.out.printf("%-30s %8s %14s %-64s %-16s %6s %8s%n", "TIME", "SEGMENT", "SIZE", "SHA256", "OPERATION", "UID", "PID");
            for (FileHistory.Version v : versions) {
                System.out.printf("%-30s %8d %14s %-64s %-16s %6s %8s%n", v.time(), v.seq(),
                        v.exists() ? String.valueOf(v.size()) : "-",
                        v.exists() ? (v.sha256() == null ? "(" + v.type().name().toLowerCase(java.util.Locale.ROOT) + ")" : v.sha256()) : "(absent)",
                        v.operations(), v.uid() < 0 ? "-" : String.valueOf(v.uid()), v.pid() < 0 ? "-" : String.valueOf(v.pid()));
            }
            return 0;
        } catch (FsException e) {
            throw new CliException(p + ": " + e.getMessage());
        }
    }
}
