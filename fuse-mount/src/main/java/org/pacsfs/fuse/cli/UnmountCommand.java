package org.pacsfs.fuse.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.pacsfs.fuse.MountTable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pacsfs unmount MOUNTPOINT}: unmounts, then waits until the mount process has shipped its write-log to S3,
 * released the lease and exited, so that "unmount returned" means "everything is in the bucket".
 */
@Command(name = "unmount", description = "Unmount, wait until everything is shipped to S3 and the mount process has exited.")
final class UnmountCommand implements Callable<Integer> {

    @Parameters(paramLabel = "MOUNTPOINT")
    Path mountPoint;

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "How long to wait for the drain. Default: 600.")
    long timeoutSeconds = 600;

    @Override
    public Integer call() throws Exception {
        Path mp = mountPoint.toAbsolutePath().normalize();
        if (!MountTable.isFuseMount(mp)) {
            throw new CliException(mp + " is not a FUSE mount");
        }
        Long pid = null;
        if (!MountTable.isStale(mp)) {
            pid = StatusCommand.read(mp).pid();
        }
        int rc = run("fusermount", "-u", mp.toString());
        if (rc != 0) {
            throw new CliException(mp + " is busy (a process has a file or directory open there); close it or use 'fusermount -uz "
                    + mp + "' to unmount lazily");
        }
        if (pid != null) {
            var handle = ProcessHandle.of(pid);
            if (handle.isPresent()) {
                System.out.println("pacsfs: unmounted " + mp + "; waiting for process " + pid + " to ship the write-log and exit");
                try {
                    handle.get().onExit().get(timeoutSeconds, java.util.concurrent.TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    throw new CliException("process " + pid + " is still shipping after " + timeoutSeconds
                            + " s; it goes on in the background (its changes are safe in the write-log)");
                }
            }
        }
        System.out.println("pacsfs: " + mp + " unmounted");
        return 0;
    }

    private static int run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor();
    }
}
