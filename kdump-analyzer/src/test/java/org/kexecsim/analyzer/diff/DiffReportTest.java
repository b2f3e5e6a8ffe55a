package org.kexecsim.analyzer.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.kexecsim.memory.ByteSize;

class DiffReportTest {
  /**
   * The text lines are built by hand (a String.format per range was most of a large report's
   * time); they must read exactly as the format "0x%012x-0x%012x %8s %s%n" with the sorted tag
   * list printed them: addresses past 12 hex digits, sizes wider than 8, no tags, several tags.
   */
  @Test
  void rangeLinesReadAsTheFormatPrintsThem() {
    List<DiffRange> ranges = List.of(
        new DiffRange(0x1000, 4096, Set.of()),
        new DiffRange(0x9f000, 0x1234, EnumSet.of(DiffTag.KERNEL_TEXT, DiffTag.CRASH_REGION, DiffTag.PAGE_TABLE)),
        new DiffRange(0x123456789abc000L, 123456789012L, Set.of(DiffTag.ONLY_IN_B)),
        new DiffRange(0xfffffffff000L, 4096, EnumSet.of(DiffTag.EXCLUDED_IN_A, DiffTag.EXCLUDED_IN_B)));
    DiffReport report = new DiffReport(ranges, 1L << 30, 3, 3 * 4096, 0, 123456789012L);
    StringBuilder expected = new StringBuilder();
    for (DiffRange r : ranges) {
      expected.append(String.format("0x%012x-0x%012x %8s %s%n", r.start(), r.end(), ByteSize.format(r.size()),
          r.tags().stream().sorted().map(t -> t.name().toLowerCase(Locale.ROOT).replace('_', '-')).toList()));
    }
    String text = report.toText();
    assertEquals(expected.toString(), text.substring(0, expected.length()));
    assertEquals(ranges.size() + 1, text.lines().count(), text);
  }
}
