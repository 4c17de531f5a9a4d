package dev.mgw.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * A plain-text table for humans: a header row, aligned columns, numbers right-aligned, and an
 * optional total row under a rule.
 */
public final class Table {
    private final List<String> headers;
    private final boolean[] numeric;
    private final List<List<String>> rows = new ArrayList<>();
    private List<String> footer;

    private Table(List<String> headers, boolean[] numeric) {
        this.headers = headers;
        this.numeric = numeric;
    }

    /** Column headers; a header starting with {@code #} marks a right-aligned numeric column (the # is dropped). */
    public static Table of(String... headers) {
        boolean[] numeric = new boolean[headers.length];
        List<String> names = new ArrayList<>();
        for (int i = 0; i < headers.length; i++) {
            numeric[i] = headers[i].startsWith("#");
            names.add(numeric[i] ? headers[i].substring(1) : headers[i]);
        }
        return new Table(names, numeric);
    }

    public Table row(Object... values) {
        rows.add(cells(values));
        return this;
    }

    public Table footer(Object... values) {
        footer = cells(values);
        return this;
    }

    public void print(PrintWriter out) {
        int[] widths = new int[headers.size()];
        for (int i = 0; i < widths.length; i++) {
            widths[i] = headers.get(i).length();
        }
        List<List<String>> all = new ArrayList<>(rows);
        if (footer != null) {
            all.add(footer);
        }
        for (List<String> row : all) {
            for (int i = 0; i < widths.length; i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        line(out, headers, widths);
        for (List<String> row : rows) {
            line(out, row, widths);
        }
        if (footer != null) {
            int total = 0;
            for (int width : widths) {
                total += width;
            }
            out.println("-".repeat(total + 2 * (widths.length - 1)));
            line(out, footer, widths);
        }
        out.flush();
    }

    private void line(PrintWriter out, List<String> cells, int[] widths) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < widths.length; i++) {
            String cell = cells.get(i);
            String pad = " ".repeat(widths[i] - cell.length());
            if (i > 0) {
                line.append("  ");
            }
            line.append(numeric[i] ? pad + cell : cell + (i == widths.length - 1 ? "" : pad));
        }
        out.println(line.toString().stripTrailing());
    }

    private List<String> cells(Object... values) {
        if (values.length != headers.size()) {
            throw new IllegalArgumentException("expected " + headers.size() + " cells, got " + values.length);
        }
        List<String> cells = new ArrayList<>();
        for (Object value : values) {
            cells.add(value == null ? "" : value.toString());
        }
        return cells;
    }
}
