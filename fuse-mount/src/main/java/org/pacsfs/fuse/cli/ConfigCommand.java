package org.pacsfs.fuse.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code pacsfs config}: checks configuration files ({@link ConfigFile}) and turns them, or the options of an fstab
 * line, into {@code pacsfs mount} arguments (for {@code mount.pacsfs} and {@code pacsfs@.service}).
 */
@Command(name = "config", description = "Check a configuration file; show the pacsfs mount arguments it stands for.",
        subcommands = {ConfigCommand.Check.class, ConfigCommand.Args.class, ConfigCommand.MountArgs.class})
final class ConfigCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "say what to do: pacsfs config check FILE, or pacsfs config args FILE");
    }

    /** {@code pacsfs config check FILE...}: exit 0 when every file is usable, else 1 with one line per problem. */
    @Command(name = "check", description = {"Validate configuration files (key = value; keys: the long options of pacsfs mount "
            + "without dashes, plus source, mountpoint, fuse-options). Names each unknown key and bad value, by line."})
    static final class Check implements Callable<Integer> {

        @Parameters(paramLabel = "FILE", arity = "1..*")
        List<Path> files;

        @Override
        public Integer call() throws CliException {
            int bad = 0;
            for (Path file : files) {
                List<String> problems = problems(file);
                if (problems.isEmpty()) {
                    System.out.println(file + ": ok");
                } else {
                    bad++;
                    problems.forEach(p -> System.err.println(file + ": " + p));
                }
            }
            return bad == 0 ? 0 : 1;
        }
    }

    /** {@code pacsfs config args FILE}: the equivalent command line. */
    @Command(name = "args", description = "Print the pacsfs mount arguments that configuration file FILE stands for.")
    static final class Args implements Callable<Integer> {

        @Parameters(paramLabel = "FILE")
        Path file;

        @Option(names = "--null", description = "One argument per entry, each ended by a NUL byte (for scripts).")
        boolean nul;

        @Override
        public Integer call() throws CliException {
            if (!Files.isRegularFile(file)) {
                throw new CliException(file + ": no such file");
            }
            try {
                print(ConfigFile.arguments(file), nul);
            } catch (IOException | ConfigFile.ConfigException e) {
                throw new CliException(file + ": " + e.getMessage());
            }
            return 0;
        }
    }

    /** {@code pacsfs config mount-args SOURCE DIR OPTIONS}: what mount.pacsfs runs for {@code mount -t pacsfs}. */
    @Command(name = "mount-args", description = "Print the pacsfs mount arguments for an fstab line / mount -o options "
            + "(used by mount.pacsfs).")
    static final class MountArgs implements Callable<Integer> {

        @Parameters(index = "0", paramLabel = "SOURCE")
        String source;

        @Parameters(index = "1", paramLabel = "MOUNTPOINT")
        String mountPoint;

        @Parameters(index = "2", arity = "0..1", paramLabel = "OPTIONS")
        String options = "";

        @Option(names = "--null", description = "One argument per entry, each ended by a NUL byte (for scripts).")
        boolean nul;

        @Option(names = "--sloppy", description = "Drop unknown pacsfs-like options instead of refusing them (mount -s).")
        boolean sloppy;

        @Override
        public Integer call() throws CliException {
            try {
                print(ConfigFile.mountArguments(source, mountPoint, options, sloppy), nul);
            } catch (ConfigFile.ConfigException e) {
                throw new CliException(e.getMessage());
            }
            return 0;
        }
    }

    private static List<String> problems(Path file) throws CliException {
        if (!Files.isRegularFile(file)) {
            throw new CliException(file + ": no such file");
        }
        try {
            return ConfigFile.check(file);
        } catch (IOException e) {
            throw new CliException("cannot read " + file + ": " + e.getMessage());
        }
    }

    private static void print(List<String> arguments, boolean nul) {
        PrintStream out = System.out;
        if (nul) {
            for (String a : arguments) {
                out.write(a.getBytes(StandardCharsets.UTF_8), 0, a.getBytes(StandardCharsets.UTF_8).length);
                out.write(0);
            }
            out.flush();
            return;
        }
        StringBuilder line = new StringBuilder("pacsfs mount");
        for (String a : arguments) {
            line.append(' ').append(quote(a));
        }
        out.println(line);
    }

    /** Quotes for a POSIX shell when needed. */
    static String quote(String s) {
        if (!s.isEmpty() && s.matches("[A-Za-z0-9_@%+=:,./-]+")) {
            return s;
        }
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
