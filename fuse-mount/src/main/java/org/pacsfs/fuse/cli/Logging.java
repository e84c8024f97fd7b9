package org.pacsfs.fuse.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.LayoutBase;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import org.slf4j.LoggerFactory;

/**
 * The log level chosen on the command line; the format is in logback.xml (one line per event, to stdout), except
 * when standard output is the journal: then each line starts with its syslog priority ({@code <3>} error ...
 * {@code <7>} debug), which journald reads (sd-daemon(3)) so that {@code journalctl -p warning} works, and carries no
 * timestamp of its own (the journal stamps every line).
 */
final class Logging {

    private static final String JOURNAL_PATTERN = "%-5level %logger{0}: %msg%n";

    private Logging() {
    }

    static void configure(boolean debug) {
        if (debug) {
            ((Logger) LoggerFactory.getLogger("org.pacsfs")).setLevel(Level.DEBUG);
        }
        if (Background.stderrIsTheJournal(System.getenv("JOURNAL_STREAM"))) {
            useJournalFormat();
        }
    }

    private static void useJournalFormat() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        Appender<ILoggingEvent> appender = context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDOUT");
        if (!(appender instanceof OutputStreamAppender<ILoggingEvent> out)) {
            return;
        }
        PatternLayout pattern = new PatternLayout();
        pattern.setContext(context);
        pattern.setPattern(JOURNAL_PATTERN);
        pattern.start();
        JournalLayout layout = new JournalLayout(pattern);
        layout.setContext(context);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        encoder.setLayout(layout);
        encoder.start();
        out.setEncoder(encoder);
    }

    /** Prefixes each line with {@code <N>}, N its syslog priority. */
    static final class JournalLayout extends LayoutBase<ILoggingEvent> {
        private final PatternLayout line;

        JournalLayout(PatternLayout line) {
            this.line = line;
        }

        @Override
        public String doLayout(ILoggingEvent event) {
            return "<" + priority(event.getLevel()) + ">" + line.doLayout(event);
        }

        static int priority(Level level) {
            return switch (level.toInt()) {
                case Level.ERROR_INT -> 3;
                case Level.WARN_INT -> 4;
                case Level.INFO_INT -> 6;
                default -> 7;
            };
        }
    }
}
