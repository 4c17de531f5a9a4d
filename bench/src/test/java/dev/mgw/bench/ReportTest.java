package dev.mgw.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ReportTest {
    @Test
    void aSecondRunOfTheSameRevisionKeepsTheFirstRunsFile(@TempDir Path dir) throws IOException {
        assertEquals(dir.resolve("2026-12-03-3a41e9d-bench.md"), Report.unused(dir, "2026-12-03-3a41e9d-bench"));
        Files.writeString(dir.resolve("2026-12-03-3a41e9d-bench.md"), "run 1");
        assertEquals(dir.resolve("2026-12-03-3a41e9d-bench-2.md"), Report.unused(dir, "2026-12-03-3a41e9d-bench"));
        Files.writeString(dir.resolve("2026-12-03-3a41e9d-bench-2.md"), "run 2");
        assertEquals(dir.resolve("2026-12-03-3a41e9d-bench-3.md"), Report.unused(dir, "2026-12-03-3a41e9d-bench"));
    }

    @Test
    void aRatioJustUnderItsBoundIsPrintedWithTheDigitsThatShowIt() {
        assertEquals("0.495", Report.ratio(1_372.4 / 2_772.0, 0.5));
        assertEquals("0.49997", Report.ratio(0.49997, 0.5));
        assertEquals("0.50", Report.ratio(0.5, 0.5));
        assertEquals("0.61", Report.ratio(0.6149, 0.6));
        assertEquals("0.699", Report.ratio(0.6994, 0.7));
    }
}
