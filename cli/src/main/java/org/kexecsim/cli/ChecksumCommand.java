package org.kexecsim.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.kexecsim.analyzer.Progress;
import org.kexecsim.analyzer.ReportJson;
import org.kexecsim.analyzer.checksum.ChecksumReport;
import org.kexecsim.analyzer.checksum.ChecksumWriter;
import org.kexecsim.analyzer.checksum.DigestList;
import org.kexecsim.analyzer.checksum.ChecksumVerification;
import org.kexecsim.analyzer.checksum.DigestAlgorithm;
import org.kexecsim.analyzer.checksum.ImageChecksum;
import org.kexecsim.dump.Dump;
import org.kexecsim.input.RejectedInput;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kexec-sim checksum IMAGE...}. */
@Command(name = "checksum",
    description = {"Digests the physical memory of an image (not its file bytes): its RAM ranges' bytes in",
        "address order, so the digest equals sha256sum (b3sum) of the raw image of that memory, and",
        "the same memory as ELF, kdump-compressed or raw gives the same digest.",
        "Save the --json output and pass it to --verify later: exit 0 matches, 1 mismatch.",
        "Several IMAGEs (or a directory, or @LIST) are digested one after another in this one process."})
final class ChecksumCommand extends CliCommand implements Callable<Integer> {
  @CommandLine.Mixin DumpImages.ManyImages input = new DumpImages.ManyImages();

  @Option(names = "--algo", defaultValue = "sha256", description = "image digest: sha256 or blake3 (default: ${DEFAULT-VALUE})")
  String algo;

  @Option(names = "--per-page", description = "also a digest per 4 KiB page, printed as each is made")
  boolean perPage;

  @Option(names = "--page-algo", defaultValue = "xxh3", description = "page digests: xxh3 (64-bit, fast), sha256 or blake3 (default: ${DEFAULT-VALUE})")
  String pageAlgo;

  @Option(names = "--per-range", description = "also a digest per RAM range")
  boolean perRange;

  @Option(names = "--verify", paramLabel = "FILE", description = "a saved --json digest list to check the image against")
  Path verify;

  @Option(names = "--threads", defaultValue = "0", converter = WorkerCount.class, description = "hashing workers (default: one per core)")
  int threads;

  @Option(names = "--json", description = "machine-readable output (also the digest-list format)")
  boolean json;

  @Option(names = "--jsonl", description = "one JSON object per dump per line, streamed, then a summary line")
  boolean jsonl;

  /** A digest list that is not one. */
  static final class BadDigestList extends RuntimeException implements RejectedInput {
    BadDigestList(String message) {
      super(message);
    }
  }

  @Override
  public Integer call() throws Exception {
    DigestAlgorithm algorithm = algorithm("--algo", algo);
    if (!algorithm.forImages()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--algo: " + algo + " digests pages only; use it with --per-page --page-algo " + algo);
    }
    DigestAlgorithm pageAlgorithm = perPage ? algorithm("--page-algo", pageAlgo) : null;
    DigestList saved = null;
    if (verify != null) {
      try {
        saved = DigestList.fromJson(ReportJson.MAPPER.readTree(readVerifyFile()));
      } catch (JsonProcessingException | IllegalArgumentException e) {
        throw new BadDigestList(verify + ": " + e.getMessage().lines().findFirst().orElse("unreadable"));
      }
    }
    DigestList expected = saved;
    List<Path> all = DumpBatch.expand(input.images);
    if (!jsonl && !DumpBatch.isBatch(input.images, all)) {
      // One dump: page digests go to stdout as they are made, never held in memory.
      return digest(all.getFirst(), algorithm, pageAlgorithm, expected, spec.commandLine().getOut(), json);
    }
    // A batch: each dump's output is made whole, then written as its text or its JSON Lines object.
    return DumpBatch.run(spec.commandLine(), all, jsonl, "checksum", image -> {
      boolean asJson = json || jsonl;
      StringWriter buffer = new StringWriter();
      int code;
      try (PrintWriter to = new PrintWriter(buffer)) {
        code = digest(image, algorithm, pageAlgorithm, expected, to, asJson);
      }
      String made = buffer.toString();
      return new DumpBatch.Outcome(code, asJson ? (ObjectNode) ReportJson.MAPPER.readTree(made) : null, made);
    });
  }

  private int digest(Path image, DigestAlgorithm algorithm, DigestAlgorithm pageAlgorithm, DigestList saved, PrintWriter out,
      boolean asJson) throws Exception {
    try (Dump dump = DumpImages.open(spec.commandLine(), image, input);
        Progress progress = Progress.onTerminal("checksum", total(dump))) {
      if (saved != null) {
        ChecksumVerification v = ChecksumVerification.verify(dump.physicalMemory(), saved, threads, progress);
        out.print(asJson ? ReportJson.write(v.toJson()) + System.lineSeparator() : v.toText());
        return v.matches() ? ExitCode.OK : ExitCode.NEGATIVE;
      }
      try (ChecksumWriter w = asJson ? ChecksumWriter.json(out, algorithm, pageAlgorithm) : ChecksumWriter.text(out, pageAlgorithm)) {
        ChecksumReport r = ImageChecksum.compute(dump.physicalMemory(),
            new ImageChecksum.Request(algorithm, perRange, pageAlgorithm, threads), w, progress);
        w.finish(r);
      }
      return ExitCode.OK;
    }
  }

  private DigestAlgorithm algorithm(String option, String name) {
    try {
      return DigestAlgorithm.fromCliName(name);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), option + ": " + e.getMessage());
    }
  }

  private String readVerifyFile() throws java.nio.file.FileSystemException {
    try {
      return org.kexecsim.files.TextFile.read(verify); // a regular file of bounded size, not /dev/zero
    } catch (java.io.IOException e) {
      throw org.kexecsim.files.IoFailure.at(verify, e);
    }
  }

  private static long total(Dump dump) {
    return dump.physicalMemory().ramMap().ranges().stream().mapToLong(org.kexecsim.memory.RamRange::size).sum();
  }
}
