package org.pacsfs.fuse.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.pacsfs.fuse.FuseAdapter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pacsfs status MOUNTPOINT}: the running mount's figures (read from it, see {@link MountStatus}). */
@Command(name = "status", description = {"Show the state of a running mount: unshipped changes and bytes, write-log use, shipper and lease state, "
        + "S3 requests by outcome, uploads, retries, chunk cache hits, last error.",
        "The same figures the Prometheus endpoint serves (pacsfs mount --metrics-port)."})
final class StatusCommand implements Callable<Integer> {

    @Parameters(paramLabel = "MOUNTPOINT")
    Path mountPoint;

    @Option(names = "--json", description = "Print the raw JSON object.")
    boolean json;

    record Status(String json, Long pid) {
    }

    @Override
    public Integer call() throws Exception {
        Status s = read(mountPoint.toAbsolutePath().normalize());
        if (json) {
            System.out.println(s.json());
        } else {
            Matcher m = Pattern.compile("\"([^\"]+)\":(\"(?:[^\"\\\\]|\\\\.)*\"|[^,}]+)").matcher(s.json());
            while (m.find()) {
                String v = m.group(2);
                if (quietZero(m.group(1), v)) {
                    continue;
                }
                System.out.printf("%-30s %s%n", m.group(1), v.startsWith("\"") ? v.substring(1, v.length() - 1) : v);
            }
        }
        return 0;
    }

    /** For people: S3 request outcomes that never happened are left out (--json keeps every key for scripts). */
    static boolean quietZero(String key, String value) {
        return key.startsWith("s3Requests.") && !key.endsWith(".ok") && "0".equals(value);
    }

    static Status read(Path mp) throws CliException {
        try {
            UserDefinedFileAttributeView view = Files.getFileAttributeView(mp, UserDefinedFileAttributeView.class);
            String name = FuseAdapter.STATUS_XATTR.substring("user.".length());
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            view.read(name, buf);
            buf.flip();
            String json = StandardCharsets.UTF_8.decode(buf).toString();
            Matcher pid = Pattern.compile("\"pid\":(\\d+)").matcher(json);
            return new Status(json, pid.find() ? Long.parseLong(pid.group(1)) : null);
        } catch (IOException | RuntimeException e) {
            throw new CliException(mp + " is not a running pacsfs mount (" + e.getMessage() + ")");
        }
    }
}
