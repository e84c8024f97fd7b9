package org.pacsfs.fuse.cli;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import org.pacsfs.core.fs.Attributes;
import org.pacsfs.core.fs.DirEntry;
import org.pacsfs.core.fs.FileType;
import org.pacsfs.core.fs.FsException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pacsfs ls s3://BUCKET[/PREFIX] [PATH]}: list a directory of the filesystem in the bucket, without mounting. */
@Command(name = "ls", description = "List a directory straight from the bucket (no mount; what S3 holds now).")
final class LsCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "s3://BUCKET[/PREFIX]", converter = S3Location.Converter.class)
    S3Location location;

    @Parameters(index = "1", arity = "0..1", paramLabel = "PATH", description = "Default: /")
    String path = "/";

    @Option(names = "-l", description = "Long format: type, mode, size, modification time.")
    boolean longFormat;

    @Mixin
    BucketOptions bucket;

    @Override
    public Integer call() throws Exception {
        String p = path.startsWith("/") ? path : "/" + path;
        try (BucketView view = BucketView.open(bucket, location)) {
            Attributes a = view.fs.getattr(p);
            if (a.type() != FileType.DIRECTORY) {
                print(p.substring(p.lastIndexOf('/') + 1), a);
                return 0;
            }
            long dh = view.fs.opendir(p);
            try {
                long offset = 0;
                while (true) {
                    List<DirEntry> entries = view.fs.readdir(dh, offset, 1000);
                    if (entries.isEmpty()) {
                        break;
                    }
                    for (DirEntry e : entries) {
                        offset = e.nextOffset();
                        if (e.name().equals(".") || e.name().equals("..")) {
                            continue;
                        }
                        print(e.name(), longFormat ? view.fs.getattr(p.equals("/") ? "/" + e.name() : p + "/" + e.name()) : null);
                    }
                }
            } finally {
                view.fs.releasedir(dh);
            }
            return 0;
        } catch (FsException e) {
            throw new CliException(path + ": " + e.errno() + " (" + e.getMessage() + ")");
        }
    }

    private void print(String name, Attributes a) {
        if (a == null) {
            System.out.println(name);
            return;
        }
        char t = a.type() == FileType.DIRECTORY ? 'd' : a.type() == FileType.SYMLINK ? 'l' : '-';
        System.out.printf("%c%04o %6d %6d %14d %s %s%n", t, a.permissions(), a.uid(), a.gid(), a.size(),
                Instant.ofEpochSecond(0, a.mtimeNs()), name);
    }
}
