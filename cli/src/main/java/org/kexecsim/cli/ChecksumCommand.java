package org.kexecsim.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.kexecsim.analyzer.Progress;
import org.kexecsim.analyzer.ReportJson;
import org.kexecsim.analyzer.checksum.ChecksumReport;
import org.kexecsim.analyzer.checksum.ChecksumVerification;
import org.kexecsim.analyzer.checksum.DigestAlgorithm;
import org.kexecsim.analyzer.checksum.ImageChecksum;
import org.kexecsim.dump.Dump;
import org.kexecsim.input.RejectedInput;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kexec-sim checksum IMAGE}. */
@Command(name = "checksum", mixinStandardHelpOptions = true,
    description = {"Digests the physical memory of an image (not its file bytes): the same memory as ELF",
        "and as raw gives the same digests. Scheme: ALGO-tree-4M, see ImageChecksum.",
        "Save the --json output and pass it to --verify later: exit 0 matches, 1 mismatch."})
final class ChecksumCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "IMAGE", description = "ELF core, kdump-compressed, flattened, split as PART1:PART2:..., or raw (--format raw)")
  Path image;

  @Option(names = "--ram-map", description = "RAM ranges of a raw image")
  String ramMap;

  @CommandLine.Mixin DumpImages.FormatOption format = new DumpImages.FormatOption();

  @Option(names = "--algo", defaultValue = "blake3", description = "blake3 or sha256 (default: ${DEFAULT-VALUE})")
  String algo;

  @ArgGroup(exclusive = true)
  Granularity granularity = new Granularity();

  static final class Granularity {
    @Option(names = "--per-page", description = "also a digest per 4 KiB page")
    boolean perPage;

    @Option(names = "--per-range", description = "the image and each RAM range (default)")
    boolean perRange;
  }

  @Option(names = "--verify", paramLabel = "FILE", description = "a saved --json digest list to check the image against")
  Path verify;

  @Option(names = "--threads", defaultValue = "0", converter = WorkerCount.class, description = "hashing workers (default: one per core)")
  int threads;

  @Option(names = "--json", description = "machine-readable output (also the digest-list format)")
  boolean json;

  /** A digest list that is not one. */
  static final class BadDigestList extends RuntimeException implements RejectedInput {
    BadDigestList(String message) {
      super(message);
    }
  }

  @Override
  public Integer call() throws Exception {
    DigestAlgorithm algorithm;
    try {
      algorithm = DigestAlgorithm.fromCliName(algo);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--algo: " + e.getMessage());
    }
    ChecksumReport saved = null;
    if (verify != null) {
      try {
        saved = ChecksumReport.fromJson(ReportJson.MAPPER.readTree(readVerifyFile()));
      } catch (JsonProcessingException | IllegalArgumentException e) {
        throw new BadDigestList(verify + ": " + e.getMessage().lines().findFirst().orElse("unreadable"));
      }
    }
    try (Dump dump = DumpImages.open(spec.commandLine(), image, ramMap, format);
        Progress progress = Progress.onTerminal("checksum", total(dump))) {
      var out = spec.commandLine().getOut();
      if (saved != null) {
        ChecksumVerification v = ImageChecksum.verify(dump.physicalMemory(), saved, threads, progress);
        out.print(json ? ReportJson.write(v.toJson()) + System.lineSeparator() : v.toText());
        return v.matches() ? ExitCode.OK : ExitCode.NEGATIVE;
      }
      ChecksumReport r = ImageChecksum.compute(dump.physicalMemory(), algorithm, granularity.perPage, threads, progress);
      out.print(json ? ReportJson.write(r.toJson()) + System.lineSeparator() : r.toText());
      return ExitCode.OK;
    }
  }

  private String readVerifyFile() throws java.nio.file.FileSystemException {
    try {
      return Files.readString(verify);
    } catch (java.io.IOException e) {
      throw org.kexecsim.files.IoFailure.at(verify, e);
    }
  }

  private static long total(Dump dump) {
    return dump.physicalMemory().ramMap().ranges().stream().mapToLong(org.kexecsim.memory.RamRange::size).sum();
  }
}
