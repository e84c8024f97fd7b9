package org.pacsfs.fuse.cli;

/**
 * One {@code "name":value,} member of the JSON lines the CLI prints (the mount status file behind `pacsfs status --json`, `pacsfs audit --json`):
 * numbers and booleans bare, null as null, everything else a string escaped as JSON requires (quote, backslash,
 * control characters). The caller opens and closes the object and drops the last comma.
 */
final class JsonFields {
    private JsonFields() {
    }

    static void append(StringBuilder b, String name, Object value) {
        b.append('"').append(name).append("\":");
        if (value == null) {
            b.append("null");
        } else if (value instanceof Number || value instanceof Boolean) {
            b.append(value);
        } else {
            b.append('"');
            for (char c : value.toString().toCharArray()) {
                switch (c) {
                    case '"' -> b.append("\\\"");
                    case '\\' -> b.append("\\\\");
                    case '\n' -> b.append("\\n");
                    default -> {
                        if (c < 0x20) {
                            b.append(String.format("\\u%04x", (int) c));
                        } else {
                            b.append(c);
                        }
                    }
                }
            }
            b.append('"');
        }
        b.append(',');
    }
}
