package org.pacsfs.fuse.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The two other ways to write down a mount, turned into the {@code pacsfs mount} argument list:
 * <ul>
 * <li>a configuration file of {@code key = value} lines ({@link #arguments(Path)}, checked by {@link #check(Path)}):
 * the keys are the long options of {@code pacsfs mount} without their dashes ({@code cache-dir = /var/lib/pacsfs/a}),
 * plus {@code source} (s3://BUCKET[/PREFIX]), {@code mountpoint} and {@code fuse-options} (for {@code -o}); flags
 * take {@code true} or {@code false}; {@code #} starts a comment line; a key may appear once;</li>
 * <li>the options of an /etc/fstab line or of {@code mount -o} ({@link #mountArguments}), as mount(8) hands them to
 * {@code mount.pacsfs}: pacsfs options by their long name, mount(8)-only options dropped, everything else passed
 * to FUSE with {@code -o}.</li>
 * </ul>
 * The accepted options are read from {@link MountCommand}'s own definition, so a new mount option is accepted here
 * without a change; its value is checked by the same converter the command line uses. Immutable, thread-safe.
 */
public final class ConfigFile {

    static final String SOURCE = "source";
    static final String MOUNTPOINT = "mountpoint";
    static final String FUSE_OPTIONS = "fuse-options";

    /** Chosen by how pacsfs is started (systemd, mount(8)), not by the filesystem's configuration. */
    private static final Set<String> NOT_IN_FILE = Set.of("foreground", "config");

    /** Options of mount(8) and of systemd that mean nothing to the filesystem. */
    private static final Set<String> MOUNT_ONLY = Set.of("defaults", "auto", "noauto", "nofail", "rw", "user", "nouser",
            "users", "owner", "group", "relatime", "norelatime", "strictatime", "lazytime", "nolazytime", "diratime",
            "nodiratime", "loop", "sw");

    private static final Map<String, OptionSpec> OPTIONS = mountOptions();

    private ConfigFile() {
    }

    /** A configuration file or fstab options that cannot be used; {@link #problems()} says what and where. */
    public static final class ConfigException extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient List<String> problems;

        ConfigException(List<String> problems) {
            super(String.join("; ", problems));
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }

    /**
     * The {@code pacsfs mount} arguments equivalent to configuration file {@code file}: source (unless the file
     * uses {@code embedded-s3}), mount point, then the options in file order.
     *
     * @throws ConfigException naming every problem of the file, by line
     */
    public static List<String> arguments(Path file) throws IOException, ConfigException {
        Parsed p = parse(file);
        if (!p.problems.isEmpty()) {
            throw new ConfigException(p.problems);
        }
        return p.arguments;
    }

    /**
     * {@code pacsfs mount ... --config FILE ...} with {@code --config FILE} (or {@code --config=FILE}) replaced by the
     * file's arguments, in place; any other command line unchanged. For {@code Main.run}, so that the mount (and the
     * background child it starts, which re-runs these arguments) sees one plain command line.
     *
     * @throws ConfigException naming the file's problems, or a {@code --config} without a file
     */
    public static String[] expand(String... args) throws IOException, ConfigException {
        if (args.length == 0 || !args[0].equals("mount")) {
            return args;
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--")) {
                out.addAll(List.of(args).subList(i, args.length));
                break;
            }
            String file = a.startsWith("--config=") ? a.substring("--config=".length()) : null;
            if (a.equals("--config")) {
                if (i + 1 == args.length) {
                    throw new ConfigException(List.of("--config needs a FILE"));
                }
                file = args[++i];
            }
            if (file == null) {
                out.add(a);
            } else {
                out.addAll(argumentsOf(file));
            }
        }
        return out.toArray(String[]::new);
    }

    private static List<String> argumentsOf(String file) throws IOException, ConfigException {
        try {
            return arguments(Path.of(file));
        } catch (ConfigException e) {
            throw new ConfigException(e.problems().stream().map(p -> file + ": " + p).toList());
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ConfigException(List.of("--config " + file + ": no such file"));
        }
    }

    /** The problems of configuration file {@code file}, each starting with its line; empty when it is usable. */
    public static List<String> check(Path file) throws IOException {
        return parse(file).problems;
    }

    /**
     * The {@code pacsfs mount} arguments for {@code mount.pacsfs SOURCE DIR -o OPTIONS}: {@code cache-dir=X} becomes
     * {@code --cache-dir X}, {@code read-only} (or {@code ro}) {@code --read-only}, {@code allow-other=false}
     * {@code --no-allow-other} ({@code _} in a name means {@code -}: {@code allow_other} is {@code --allow-other});
     * mount(8)-only options ({@code defaults}, {@code noauto}, {@code _netdev}, {@code x-*}, {@code comment=}, ...)
     * are dropped; any other option is a FUSE option ({@code uid=}, {@code umask=}, {@code nosuid}, ...), passed with
     * {@code -o}. A name with a dash that is no pacsfs option, or one within two letters of a pacsfs option
     * ({@code cache_dri}), is a typo and refused, unless {@code sloppy} ({@code mount -s}) where it is dropped.
     */
    public static List<String> mountArguments(String source, String mountPoint, String options, boolean sloppy)
            throws ConfigException {
        List<String> problems = new ArrayList<>();
        Map<String, String> pacsfs = new LinkedHashMap<>();
        List<String> fuse = new ArrayList<>();
        for (String option : options.split(",")) {
            String o = option.trim();
            int eq = o.indexOf('=');
            String name = eq < 0 ? o : o.substring(0, eq);
            String value = eq < 0 ? null : o.substring(eq + 1);
            if (o.isEmpty() || MOUNT_ONLY.contains(o) || name.startsWith("x-") || name.startsWith("_") || name.equals("comment")) {
                continue;
            }
            if (o.equals("ro")) {
                pacsfs.put("read-only", "true");
                continue;
            }
            String key = name.replace('_', '-');
            if (OPTIONS.containsKey(key) && !NOT_IN_FILE.contains(key)) {
                OptionSpec spec = OPTIONS.get(key);
                pacsfs.put(key, value == null && isFlag(spec) ? "true" : value);
            } else if (NOT_IN_FILE.contains(key) || key.equals(SOURCE) || key.equals(MOUNTPOINT) || key.equals(FUSE_OPTIONS)) {
                problems.add("option '" + o + "' cannot be used in fstab or mount -o (the source and mount point are the first two "
                        + "fields; FUSE options are written directly; mount.pacsfs always mounts in the background)");
            } else if (name.contains("-") || !suggestion(key).isEmpty()) {
                if (!sloppy) {
                    problems.add("unknown option '" + o + "'" + suggestion(key) + "; pacsfs options: " + String.join(", ", optionKeys()));
                }
            } else {
                fuse.add(o);
            }
        }
        List<String> arguments = new ArrayList<>();
        boolean embedded = pacsfs.containsKey("embedded-s3");
        if (!embedded) {
            checkSource(source, problems);
            arguments.add(source);
        }
        arguments.add(mountPoint);
        for (Map.Entry<String, String> e : pacsfs.entrySet()) {
            if (e.getValue() == null) {
                problems.add("option '" + e.getKey() + "' needs a value (" + e.getKey() + "=" + OPTIONS.get(e.getKey()).paramLabel() + ")");
            } else {
                appendOption(e.getKey(), e.getValue(), "option '" + e.getKey() + "'", arguments, problems);
            }
        }
        if (!fuse.isEmpty()) {
            arguments.add("-o");
            arguments.add(String.join(",", fuse));
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return arguments;
    }

    /** The keys a configuration file accepts, sorted. */
    static List<String> keys() {
        List<String> keys = new ArrayList<>(List.of(SOURCE, MOUNTPOINT, FUSE_OPTIONS));
        keys.addAll(optionKeys());
        Collections.sort(keys);
        return keys;
    }

    private record Parsed(List<String> arguments, List<String> problems) {
    }

    private static Parsed parse(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<String> problems = new ArrayList<>();
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, Integer> lineOf = new TreeMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            String where = "line " + (i + 1);
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                problems.add(where + ": '" + line + "' is not 'key = value'");
                continue;
            }
            String key = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            if (!keys().contains(key)) {
                String why = NOT_IN_FILE.contains(key) ? " (it is chosen by how pacsfs is started, not in the file)" : suggestion(key);
                problems.add(where + ": unknown key '" + key + "'" + why + "; accepted keys: " + String.join(", ", keys()));
            } else if (value.isEmpty()) {
                problems.add(where + ": " + key + " has no value");
            } else if (lineOf.containsKey(key)) {
                problems.add(where + ": " + key + " is already set on line " + lineOf.get(key));
            } else {
                values.put(key, value);
                lineOf.put(key, i + 1);
            }
        }
        List<String> arguments = new ArrayList<>();
        String mountPoint = values.get(MOUNTPOINT);
        if (values.containsKey("embedded-s3")) {
            if (values.containsKey(SOURCE)) {
                problems.add("line " + lineOf.get(SOURCE) + ": give either source or embedded-s3, not both");
            }
        } else if (!values.containsKey(SOURCE)) {
            problems.add("source is missing (e.g. source = s3://BUCKET/PREFIX)");
        } else {
            checkSource(values.get(SOURCE), problems, "line " + lineOf.get(SOURCE) + ": source: ");
            arguments.add(values.get(SOURCE));
        }
        if (mountPoint == null) {
            problems.add("mountpoint is missing (e.g. mountpoint = /mnt/pacs)");
        } else if (!Path.of(mountPoint).isAbsolute()) {
            problems.add("line " + lineOf.get(MOUNTPOINT) + ": mountpoint must be an absolute path, got '" + mountPoint + "'");
        } else {
            arguments.add(mountPoint);
        }
        for (Map.Entry<String, String> e : values.entrySet()) {
            String key = e.getKey();
            if (key.equals(SOURCE) || key.equals(MOUNTPOINT)) {
                continue;
            }
            String where = "line " + lineOf.get(key) + ": " + key;
            if (key.equals(FUSE_OPTIONS)) {
                appendFuseOptions(e.getValue(), where, arguments, problems);
            } else {
                appendOption(key, e.getValue(), where, arguments, problems);
            }
        }
        return new Parsed(List.copyOf(arguments), byLine(problems));
    }

    /** Problems in file order; those of the whole file (a missing key) last. */
    private static List<String> byLine(List<String> problems) {
        List<String> sorted = new ArrayList<>(problems);
        sorted.sort(java.util.Comparator.comparingInt(ConfigFile::lineNumber));
        return List.copyOf(sorted);
    }

    private static int lineNumber(String problem) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^line (\\d+):").matcher(problem);
        return m.find() ? Integer.parseInt(m.group(1)) : Integer.MAX_VALUE;
    }

    private static void appendFuseOptions(String value, String where, List<String> arguments, List<String> problems) {
        for (String o : value.split(",")) {
            if (o.isBlank()) {
                problems.add(where + ": empty option in '" + value + "' (write uid=1000,gid=1000)");
                return;
            }
        }
        arguments.add("-o");
        arguments.add(value.replace(" ", ""));
    }

    /** Appends {@code --key [value]} after checking the value as {@code pacsfs mount} would. */
    private static void appendOption(String key, String value, String where, List<String> arguments, List<String> problems) {
        OptionSpec spec = OPTIONS.get(key);
        List<String> args = new ArrayList<>();
        if (isFlag(spec)) {
            String v = value.toLowerCase(Locale.ROOT);
            if (!v.equals("true") && !v.equals("false")) {
                problems.add(where + ": '" + value + "' is not a flag value; use true or false");
                return;
            }
            if (v.equals("true")) {
                args.add("--" + key);
            } else if (spec.negatable()) {
                args.add("--no-" + key);
            }
        } else {
            args.add("--" + key);
            args.add(value);
        }
        String problem = valueProblem(key, value, args);
        if (problem != null) {
            problems.add(where + ": " + problem);
            return;
        }
        arguments.addAll(args);
    }

    /** What {@code pacsfs mount} would say about these option arguments, or null if it takes them. */
    private static String valueProblem(String key, String value, List<String> args) {
        switch (key) {
            case "durability" -> {
                if (!value.equals("local") && !value.equals("remote")) {
                    return "'" + value + "' is not a durability; use local or remote";
                }
            }
            case "drain-timeout" -> {
                if (value.matches("-\\d+")) {
                    return "'" + value + "' must be >= 0 seconds";
                }
            }
            case "background-nice" -> {
                if (!value.matches("\\d+") || value.length() > 2 || Integer.parseInt(value) > 19) {
                    return "'" + value + "' is not a nice value; use 0 (normal priority) to 19";
                }
            }
            default -> {
            }
        }
        List<String> line = new ArrayList<>(args);
        line.add("/mountpoint");
        try {
            CommandLine cli = new CommandLine(new MountCommand());
            cli.setCaseInsensitiveEnumValuesAllowed(true);
            cli.parseArgs(line.toArray(String[]::new));
            return null;
        } catch (CommandLine.ParameterException e) {
            return e.getMessage();
        }
    }

    private static void checkSource(String source, List<String> problems) {
        checkSource(source, problems, "source: ");
    }

    private static void checkSource(String source, List<String> problems, String where) {
        try {
            S3Location.parse(source);
        } catch (CommandLine.TypeConversionException e) {
            problems.add(where + e.getMessage());
        }
    }

    private static boolean isFlag(OptionSpec spec) {
        return spec.arity().max() == 0;
    }

    private static List<String> optionKeys() {
        List<String> keys = new ArrayList<>();
        for (String k : OPTIONS.keySet()) {
            if (!NOT_IN_FILE.contains(k)) {
                keys.add(k);
            }
        }
        Collections.sort(keys);
        return keys;
    }

    private static String suggestion(String key) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : keys()) {
            int d = distance(key.replace('_', '-').toLowerCase(Locale.ROOT), k);
            if (d < bestDistance) {
                bestDistance = d;
                best = k;
            }
        }
        return best != null && bestDistance <= 2 ? " (did you mean '" + best + "'?)" : "";
    }

    /** Levenshtein distance: enough to catch cache_dir, cachedir, cache-dri. */
    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** The long options of {@code pacsfs mount}, by name without dashes. */
    private static Map<String, OptionSpec> mountOptions() {
        Map<String, OptionSpec> options = new TreeMap<>();
        for (OptionSpec spec : CommandSpec.forAnnotatedObject(new MountCommand()).options()) {
            String name = spec.longestName();
            if (name.startsWith("--")) {
                options.put(name.substring(2), spec);
            }
        }
        return Collections.unmodifiableMap(options);
    }
}
