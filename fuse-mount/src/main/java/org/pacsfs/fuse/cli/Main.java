package org.pacsfs.fuse.cli;

import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code pacsfs}: the command line. Bad input exits non-zero with one line saying what is wrong and how to fix it. */
@Command(name = "pacsfs", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "An S3 bucket as a POSIX filesystem for PACS archives.",
        subcommands = {MountCommand.class, UnmountCommand.class, StatusCommand.class, LsCommand.class, CatCommand.class,
                LostFoundCommand.class, ConfigCommand.class, CommandLine.HelpCommand.class,
                VerifyCommand.class, VersionsCommand.class, RestoreCommand.class,
                ScrubCommand.class, GcCommand.class, AuditCommand.class})
public final class Main {

    private static volatile List<String> arguments = List.of();

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line; returns the exit status (0 ok, 1 failure, 2 usage error). */
    public static int run(String... args) {
        try {
            // pacsfs mount --config FILE: the file's source, mount point and options replace the option.
            args = ConfigFile.expand(args);
        } catch (java.io.IOException | ConfigFile.ConfigException e) {
            System.err.println("pacsfs: " + e.getMessage());
            return 2;
        }
        arguments = List.of(args);
        CommandLine cli = new CommandLine(new Main());
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            Throwable t = e;
            if (t instanceof CliException || t instanceof org.pacsfs.fuse.MountException) {
                commandLine.getErr().println("pacsfs: " + t.getMessage());
                return 1;
            }
            if (t instanceof picocli.CommandLine.TypeConversionException) {
                commandLine.getErr().println("pacsfs: " + t.getMessage());
                return 2;
            }
            commandLine.getErr().println("pacsfs: unexpected failure: " + t);
            t.printStackTrace(commandLine.getErr());
            return 1;
        });
        return cli.execute(args);
    }

    /** The arguments this process was started with (a background mount re-runs itself with them). */
    static List<String> arguments() {
        return arguments;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"pacsfs " + (v == null ? "0.1.0-SNAPSHOT (development build)" : v)};
        }
    }
}
