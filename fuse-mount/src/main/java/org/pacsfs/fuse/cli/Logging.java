package org.pacsfs.fuse.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/** The log level chosen on the command line (the format is in logback.xml: one line per event, to stdout). */
final class Logging {

    private Logging() {
    }

    static void configure(boolean debug) {
        if (debug) {
            ((Logger) LoggerFactory.getLogger("org.pacsfs")).setLevel(Level.DEBUG);
        }
    }
}
