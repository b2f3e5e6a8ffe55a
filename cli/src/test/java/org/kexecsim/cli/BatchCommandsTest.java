package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kexecsim.analyzer.ReportJson;
import org.kexecsim.dump.RegisterFile;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.testing.Machines;

/** Many dumps in one process: directories, @lists, --jsonl streamed line by line, failures as error objects. */
class BatchCommandsTest {
  @TempDir Path dir;

  /** {@code n} small ELF cores, each 256 KiB of RAM with its own marker, named dump000.core... */
  private List<Path> dumps(Path in, int n) throws IOException {
    Files.createDirectories(in);
    RamMap ram = RamMap.parse("0-0x3ffff");
    List<Path> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      SparseMemory m = new SparseMemory(ram);
      m.writeU64(0x1000, 0x5eed_0000L + i);
      out.add(Machines.writeQemuCore(m, RegisterFile.EMPTY, Optional.empty(), in.resolve(String.format("dump%03d.core", i))));
    }
    return out;
  }

  /** A stdout that, when the first line is complete, spoils the last dump: only a streaming batch then fails on it. */
  private static final class FirstLineTrigger extends Writer {
    final StringBuilder text = new StringBuilder();
    final Runnable onFirstLine;
    boolean fired;

    FirstLineTrigger(Runnable onFirstLine) {
      this.onFirstLine = onFirstLine;
    }

    @Override
    public void write(char[] cbuf, int off, int len) {
      text.append(cbuf, off, len);
    }

    @Override
    public void flush() {
      if (!fired && text.indexOf("\n") >= 0) {
        fired = true;
        onFirstLine.run();
      }
    }

    @Override
    public void close() {}
  }

  @Test
  void checksumJsonlOverAHundredDumpsStreamsOneLinePerDumpInOneJvm() throws Exception {
    List<Path> cores = dumps(dir.resolve("many"), 100);
    Path last = cores.getLast();
    FirstLineTrigger out = new FirstLineTrigger(() -> {
      try {
        Files.writeString(last, "overwritten after the first line was out");
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    StringWriter err = new StringWriter();
    int code = Main.execute(new String[] {"checksum", "--jsonl", dir.resolve("many").toString()}, new PrintWriter(out), new PrintWriter(err));
    List<String> lines = out.text.toString().lines().toList();
    assertEquals(101, lines.size(), "one line per dump and a summary:\n" + out.text);
    for (int i = 0; i < 99; i++) {
      JsonNode n = ReportJson.MAPPER.readTree(lines.get(i));
      assertEquals(cores.get(i).toString(), n.get("dump").asText());
      assertFalse(n.has("error"), lines.get(i));
      assertEquals(org.kexecsim.analyzer.checksum.ChecksumReport.FORMAT, n.get("format").asText(), lines.get(i));
    }
    assertFalse(lines.get(0).contains("\n  "), "compact: one object on one line");
    JsonNode spoiled = ReportJson.MAPPER.readTree(lines.get(99));
    assertEquals(last.toString(), spoiled.get("dump").asText());
    assertEquals(3, spoiled.get("exitCode").asInt(), "the last dump was read after the first line went out: " + lines.get(99));
    assertEquals("bad-input", spoiled.get("errorClass").asText());
    assertTrue(spoiled.get("error").asText().startsWith(last.toString()), spoiled.toString());
    JsonNode summary = ReportJson.MAPPER.readTree(lines.get(100));
    assertEquals(DumpBatch.SUMMARY_FORMAT, summary.get("format").asText());
    assertEquals(100, summary.get("dumps").asInt());
    assertEquals(99, summary.get("ok").asInt());
    assertEquals(1, summary.get("failed").asInt());
    assertEquals(3, summary.get("exitCode").asInt());
    assertEquals(3, code, "the worst dump's exit code: " + err);
    // distinct memory, distinct digests: each line is its own dump's
    assertEquals(99, lines.subList(0, 99).stream().map(l -> l.replaceAll("^\\{\"dump\":\"[^\"]*\",", "")).distinct().count());
  }

  @Test
  void listFilesAndDirectoriesNameTheDumps() throws Exception {
    List<Path> cores = dumps(dir.resolve("d"), 3);
    Path list = dir.resolve("d/../dumps.list");
    Files.writeString(list, "# the first and third, relative to the list\n\nd/dump000.core\n" + cores.get(2) + "\n");
    CliRun r = CliRun.of("checksum", "--jsonl", "@" + list);
    assertEquals(0, r.exitCode(), r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals(3, lines.size(), r.out());
    assertTrue(lines.get(0).contains("dump000.core") && lines.get(1).contains("dump002.core"), r.out());

    CliRun text = CliRun.of("checksum", cores.get(0).toString(), cores.get(1).toString());
    assertEquals(0, text.exitCode(), text.err());
    assertTrue(text.out().startsWith("==> " + cores.get(0) + " <==\n"), text.out());
    assertTrue(text.out().contains("==> " + cores.get(1) + " <==\n"), text.out());

    CliRun missing = CliRun.of("checksum", "--jsonl", "@" + dir.resolve("nope.list"));
    assertEquals(3, missing.exitCode());
    assertEquals("", missing.out());
    assertEquals(1, missing.err().lines().count(), missing.err());
    assertTrue(missing.err().contains("nope.list: no such list file"), missing.err());

    Files.createDirectories(dir.resolve("empty"));
    CliRun empty = CliRun.of("dmesg", dir.resolve("empty").toString());
    assertEquals(3, empty.exitCode());
    assertTrue(empty.err().contains("the directory holds no file"), empty.err());
  }

  @Test
  void aFailingDumpInATextBatchIsOneStderrLineAndTheBatchGoesOn() throws Exception {
    List<Path> cores = dumps(dir.resolve("t"), 2);
    Path bad = Files.writeString(dir.resolve("t/zz-not-a-dump"), "hello");
    CliRun r = CliRun.of("dmesg", cores.get(0).toString(), bad.toString(), cores.get(1).toString());
    assertEquals(3, r.exitCode());
    assertEquals(3, r.err().lines().count(), "one line per failing dump (no VMCOREINFO twice, not a dump once):\n" + r.err());
    assertTrue(r.err().contains(bad + ": offset 0x0: not a dump format"), r.err());
    CliRun j = CliRun.of("dmesg", "--jsonl", bad.toString());
    assertEquals(3, j.exitCode());
    assertEquals(2, j.out().lines().count(), j.out());
  }

  @Test
  void everyAnalysisCommandTakesTheBatch() throws Exception {
    List<Path> cores = dumps(dir.resolve("all"), 4);
    String all = dir.resolve("all").toString();
    // the PML4 at 0x1000 is zero: nothing maps, so vtop's verdict is negative for every dump
    CliRun vtop = CliRun.of("vtop", all, "--cr3", "0x1000", "--mode", "4level", "--jsonl", "0x0");
    assertEquals(1, vtop.exitCode(), vtop.err());
    List<String> lines = vtop.out().lines().toList();
    assertEquals(5, lines.size(), vtop.out());
    for (int i = 0; i < 4; i++) {
      JsonNode n = ReportJson.MAPPER.readTree(lines.get(i));
      assertEquals(cores.get(i).toString(), n.get("dump").asText());
      assertEquals("kexec-sim/vtop/v1", n.get("format").asText());
    }
    assertEquals(1, ReportJson.MAPPER.readTree(lines.get(4)).get("exitCode").asInt());

    CliRun ptdump = CliRun.of("ptdump", all, "--cr3", "0x1000", "--mode", "4level", "--jsonl");
    assertEquals(0, ptdump.exitCode(), ptdump.err());
    assertEquals(5, ptdump.out().lines().count(), ptdump.out());

    CliRun single = CliRun.of("verify-pgd", "--jsonl", all, "--cr3", "0x1000", "--mode", "4level");
    assertEquals(5, single.out().lines().count(), single.out());
    assertTrue(single.out().lines().limit(4).allMatch(l -> l.contains("\"format\":\"kexec-sim/verify-pgd/")), single.out());

    CliRun pairs = CliRun.of("verify-pgd", "--pairs", "--jsonl", all, "--cr3", "0x1000", "--mode", "4level");
    List<String> p = pairs.out().lines().toList();
    assertEquals(3, p.size(), pairs.out());
    assertEquals(cores.get(0) + " " + cores.get(1), ReportJson.MAPPER.readTree(p.get(0)).get("dump").asText());
    assertEquals(cores.get(2) + " " + cores.get(3), ReportJson.MAPPER.readTree(p.get(1)).get("dump").asText());

    CliRun odd = CliRun.of("verify-pgd", "--pairs", cores.get(0).toString(), cores.get(1).toString(), cores.get(2).toString());
    assertEquals(2, odd.exitCode());
    assertTrue(odd.err().contains("--pairs: 3 dumps do not make BEFORE AFTER pairs"), odd.err());

    CliRun pair = CliRun.of("verify-pgd", cores.get(0).toString(), cores.get(1).toString(), "--cr3", "0x1000", "--mode", "4level");
    assertTrue(pair.exitCode() == 0 || pair.exitCode() == 1, pair.err());
    assertTrue(pair.out().contains("PRESERVED"), "a verdict of one BEFORE AFTER check: " + pair.out());
    assertFalse(pair.out().contains("==>"), "two plain files stay one BEFORE AFTER check: " + pair.out());
    CliRun pairJsonl = CliRun.of("verify-pgd", "--jsonl", cores.get(0).toString(), cores.get(1).toString(), "--cr3", "0x1000", "--mode", "4level");
    assertEquals(2, pairJsonl.out().lines().count(), pairJsonl.out());
    assertEquals(cores.get(0) + " " + cores.get(1), ReportJson.MAPPER.readTree(pairJsonl.out().lines().findFirst().orElseThrow()).get("dump").asText());
  }
}
