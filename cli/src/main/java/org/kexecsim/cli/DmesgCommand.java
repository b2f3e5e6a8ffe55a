package org.kexecsim.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.kexecsim.analyzer.ReportJson;
import org.kexecsim.analyzer.dmesg.KernelLog;
import org.kexecsim.analyzer.dmesg.LogEntry;
import org.kexecsim.analyzer.dmesg.MakedumpfileText;
import org.kexecsim.dump.Dump;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kexec-sim dmesg IMAGE...}. */
@Command(name = "dmesg",
    description = {"Prints the crashed kernel's log from a dump, as makedumpfile --dump-dmesg",
        "writes it: the lockless printk ring buffer (5.10+), log_buf records (3.5-5.9)",
        "or log_buf text (older), found through VMCOREINFO and read through the",
        "kernel's page tables. Several IMAGEs (or a directory, or @LIST) are read one",
        "after another in this one process."})
final class DmesgCommand extends CliCommand implements Callable<Integer> {
  @CommandLine.Mixin DumpImages.ManyImages input = new DumpImages.ManyImages();

  @Option(names = "--since-clear",
      description = "only what the last dmesg -C left: records from clear_seq (5.10+) or clear_idx (3.5-5.9, makedumpfile --partial-dmesg)")
  boolean sinceClear;

  @CommandLine.Mixin JsonOutput.Batch output = new JsonOutput.Batch();

  @Override
  public Integer call() throws Exception {
    return DumpBatch.execute(spec.commandLine(), input.images, output.jsonl, "dmesg", this::one);
  }

  private DumpBatch.Outcome one(Path image) throws Exception {
    try (Dump dump = DumpImages.open(spec.commandLine(), image, input)) {
      KernelLog all = KernelLog.of(dump);
      KernelLog log = sinceClear ? all.sinceClear() : all;
      // Decoded in full before anything is printed: a corrupt record found half-way is one
      // error line, not half a log.
      return output.outcome(ExitCode.OK, () -> document(log), () -> text(log));
    }
  }

  /** The log as makedumpfile --dump-dmesg writes it. */
  private static String text(KernelLog log) {
    StringBuilder text = new StringBuilder();
    log.forEach(e -> text.append(MakedumpfileText.render(e)));
    return text.toString();
  }

  /** Each record's timestamp, sequence number and text. */
  private ObjectNode document(KernelLog log) {
    ObjectNode doc = ReportJson.object("kexec-sim/dmesg/v1");
    doc.put("logFormat", log.format().label());
    doc.put("sinceClear", sinceClear);
    ReportJson.paging(doc, log.paging());
    ArrayNode records = doc.putArray("records");
    log.forEach(e -> {
      ObjectNode r = records.addObject();
      switch (e) {
        case LogEntry.Record rec -> {
          r.put("timestampNs", Long.toUnsignedString(rec.timestampNanos()));
          r.put("time", MakedumpfileText.timestamp(rec.timestampNanos()).replaceAll("[\\[\\] ]", "")); // seconds.micros
          if (rec.sequence() != LogEntry.NO_SEQUENCE) {
            r.put("seq", rec.sequence());
          }
          r.put("text", new String(rec.text(), StandardCharsets.UTF_8));
        }
        case LogEntry.PlainText p -> r.put("text", new String(p.bytes(), StandardCharsets.UTF_8));
      }
    });
    doc.put("entries", records.size());
    return doc;
  }
}
