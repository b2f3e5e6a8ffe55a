package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kexecsim.analyzer.ReportJson;
import org.kexecsim.testing.ExternalOracles;
import org.kexecsim.testing.RealDumps;

/**
 * {@code dmesg} on the vmcores of Debian's 6.1 kernels that really panicked under QEMU
 * ({@link RealDumps}), against two oracles: makedumpfile {@code --dump-dmesg} run here on the
 * same file (byte for byte), and the kernel's own serial console, whose lines must all appear in
 * order (the only oracle on i386: Debian's makedumpfile reads its own architecture only).
 */
class RealDmesgTest {
  static final String PANIC = "Kernel panic - not syncing: sysrq triggered crash";
  @TempDir Path tmp;

  private String makedumpfile(Path vmcore) throws Exception {
    Path out = tmp.resolve("mdf-" + vmcore.getFileName() + ".txt");
    Files.deleteIfExists(out);
    Process p = new ProcessBuilder("makedumpfile", "--dump-dmesg", vmcore.toString(), out.toString())
        .redirectErrorStream(true).redirectOutput(tmp.resolve("mdf.log").toFile()).start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "makedumpfile finishes");
    assertEquals(0, p.exitValue(), () -> "makedumpfile --dump-dmesg " + vmcore + ": " + read(tmp.resolve("mdf.log")));
    return Files.readString(out, StandardCharsets.ISO_8859_1);
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }

  @Test
  void x86_64VmcoreAndItsConversionsPrintWhatMakedumpfilePrints() throws Exception {
    assumeTrue(RealDumps.onPath("makedumpfile"), "makedumpfile is not installed");
    RealDumps.Set real = RealDumps.x86_64();
    String oracle = makedumpfile(real.vmcore());
    assertTrue(oracle.contains("] " + PANIC + "\n"), "makedumpfile's own output has the panic line");
    for (Path dump : List.of(real.vmcore(), real.makedumpfile("c-d31.kdump"), real.makedumpfile("l-d0.kdump"),
        real.makedumpfile("z-d31.kdump"))) {
      CliRun r = CliRun.of("dmesg", dump.toString());
      assertEquals(0, r.exitCode(), r.err());
      assertEquals(dump.equals(real.vmcore()) ? oracle : makedumpfile(dump), r.out(), dump.toString());
    }
    Path[] split = real.makedumpfileSplit(3).toArray(Path[]::new);
    CliRun r = CliRun.of("dmesg", split[0] + ":" + split[1] + ":" + split[2]);
    assertEquals(oracle, r.out(), "split into three files");
    assertConsoleLinesIn(real, r.out());
  }

  /** drgn's printk helper (get_printk_records, with the vmlinux's types) reads the same records and clear_seq. */
  @Test
  void recordsAndClearSeqAgreeWithDrgn() throws Exception {
    assumeTrue(ExternalOracles.python3Module("drgn"), "python3-drgn is not installed");
    RealDumps.Set real = RealDumps.x86_64();
    assumeTrue(real.vmlinux().isPresent(), "no vmlinux with debug info");
    String oracle = ExternalOracles.python3("""
        import drgn, json, sys
        from drgn.helpers.linux.printk import get_printk_records
        p = drgn.Program(); p.set_core_dump(sys.argv[1]); p.load_debug_info([sys.argv[2]])
        c = p['clear_seq']
        clear = c.val[c.latch.seqcount.sequence.value_() & 1].value_()
        print(json.dumps({'clear': clear, 'records': [[r.seq, r.timestamp, r.text.hex()] for r in get_printk_records(p)]}))
        """, real.vmcore().toString(), real.vmlinux().get().toString());
    JsonNode drgn = ReportJson.MAPPER.readTree(oracle);
    CliRun r = CliRun.of("dmesg", "--json", real.vmcore().toString());
    assertEquals(0, r.exitCode(), r.err());
    JsonNode ours = ReportJson.MAPPER.readTree(r.out()).get("records");
    assertEquals(drgn.get("records").size(), ours.size(), "record count");
    for (int i = 0; i < ours.size(); i++) {
      JsonNode d = drgn.get("records").get(i);
      JsonNode o = ours.get(i);
      assertEquals(d.get(0).asLong(), o.get("seq").asLong(), "seq of record " + i);
      assertEquals(d.get(1).asText(), o.get("timestampNs").asText(), "ts_nsec of record " + i);
      assertEquals(new String(java.util.HexFormat.of().parseHex(d.get(2).asText()), StandardCharsets.UTF_8), o.get("text").asText(), "text of record " + i);
    }
    long clear = drgn.get("clear").asLong();
    long expected = 0;
    for (JsonNode d : drgn.get("records")) {
      expected += d.get(0).asLong() >= clear ? 1 : 0;
    }
    JsonNode since = ReportJson.MAPPER.readTree(CliRun.of("dmesg", "--json", "--since-clear", real.vmcore().toString()).out());
    assertEquals(expected, since.get("records").size(), "records from clear_seq " + clear);
  }

  @Test
  void kaslrVmcorePrintsWhatMakedumpfilePrints() throws Exception {
    assumeTrue(RealDumps.onPath("makedumpfile"), "makedumpfile is not installed");
    RealDumps.Set real = RealDumps.x86_64Kaslr();
    CliRun r = CliRun.of("dmesg", real.vmcore().toString());
    assertEquals(0, r.exitCode(), r.err());
    assertEquals(makedumpfile(real.vmcore()), r.out());
    assertTrue(r.out().contains("] " + PANIC + "\n"), r.out());
  }

  @Test
  void paeVmcoreHoldsEveryLineTheSerialConsoleShowed() throws Exception {
    RealDumps.Set real = RealDumps.pae();
    CliRun r = CliRun.of("dmesg", real.vmcore().toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("] " + PANIC + "\n"), r.out());
    assertConsoleLinesIn(real, r.out());

    CliRun j = CliRun.of("dmesg", "--json", real.vmcore().toString());
    JsonNode doc = ReportJson.MAPPER.readTree(j.out());
    assertEquals("kexec-sim/dmesg/v1", doc.get("format").asText());
    assertEquals("printk_ringbuffer", doc.get("logFormat").asText());
    assertEquals("pae", doc.get("paging").get("mode").asText());
    assertEquals(r.out().lines().filter(l -> l.startsWith("[")).count(), doc.get("records").size(), "one record per unindented line");
    List<String> stamps = r.out().lines().filter(l -> l.startsWith("[")).map(l -> l.substring(1, l.indexOf(']')).strip()).toList();
    long prev = -1;
    int i = 0;
    for (JsonNode rec : doc.get("records")) {
      assertEquals(stamps.get(i++), rec.get("time").asText(), "the text's timestamp");
      assertTrue(rec.get("seq").asLong() > prev, "sequence numbers increase");
      prev = rec.get("seq").asLong();
    }
  }

  /** The guest's console lines (timestamped, from serial.log), each in {@code dmesg}, in the same order. */
  private static void assertConsoleLinesIn(RealDumps.Set real, String dmesg) throws Exception {
    List<String> console = Files.readAllLines(real.dir().resolve("serial.log"), StandardCharsets.ISO_8859_1).stream()
        .map(l -> l.replace("\r", "")).filter(l -> l.matches("\\[ *\\d+\\.\\d{6}\\] .*")).toList();
    assertTrue(console.stream().anyMatch(l -> l.contains(PANIC)), "the console showed the panic");
    int at = 0;
    for (String line : console) {
      int found = dmesg.indexOf(line + "\n", at);
      assertTrue(found >= 0, "console line missing from dmesg (or out of order): " + line);
      at = found + line.length();
    }
  }
}
