package org.pacsfs.core.history;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;

/**
 * Parses the TIME of {@code --at TIME}: an ISO-8601 instant ({@code 2025-06-01T12:00:00Z}), a date-time with an
 * offset ({@code 2025-06-01T14:00:00+02:00}), or a local date-time in the given zone ({@code 2025-06-01T14:00},
 * {@code 2025-06-01T14:00:00.5}, {@code "2025-06-01 14:00:00"}), or a date alone (its end: the state at the last
 * instant of that day is rarely meant, so a date alone is refused with a hint).
 */
public final class PointInTime {
    private PointInTime() {
    }

    /** @throws IllegalArgumentException naming the accepted forms */
    public static Instant parse(String text, ZoneId zone) {
        String t = text == null ? "" : text.trim();
        String iso = t.length() > 10 && t.charAt(10) == ' ' ? t.substring(0, 10) + "T" + t.substring(11) : t;
        try {
            return Instant.parse(iso);
        } catch (DateTimeParseException e) {
            // next form
        }
        try {
            return OffsetDateTime.parse(iso).toInstant();
        } catch (DateTimeParseException e) {
            // next form
        }
        try {
            return LocalDateTime.parse(iso).atZone(zone).toInstant();
        } catch (DateTimeParseException e) {
            // next form
        }
        String hint = "";
        try {
            LocalDate.parse(iso);
            hint = " (a date alone is ambiguous: give a time of day too, e.g. " + iso + "T00:00)";
        } catch (DateTimeParseException e) {
            // not a date either
        }
        throw new IllegalArgumentException("'" + text + "' is not a time" + hint + "; accepted: an ISO-8601 instant "
                + "2025-06-01T12:00:00Z, a date-time with offset 2025-06-01T14:00:00+02:00, or a local date-time in "
                + zone + " 2025-06-01T14:00[:00[.123]] or '2025-06-01 14:00'");
    }
}
