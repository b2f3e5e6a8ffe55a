package org.kexecsim.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.kexecsim.files.IoFailure;
import org.kexecsim.files.TextFile;
import org.kexecsim.input.RejectedInput;
import org.kexecsim.isa.Assembly;
import org.kexecsim.output.OutputSet;
import org.kexecsim.routine.CPreprocessor;
import org.kexecsim.routine.RoutineFile;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kexec-sim asm}: AT&T source to the bytes GNU as would produce, without binutils. */
@Command(
    name = "asm",
    description = {
      "Assembles AT&T-syntax source (the subset the CPU model executes) into a flat binary,",
      "byte-identical to 'as --32/--64' followed by 'objcopy -O binary -j .text'.",
      "Without -o, prints the size and the symbols."
    })
final class AsmCommand extends CliCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "FILE.S", description = "assembler source")
  Path source;

  @Option(names = "--bits", required = true, description = "initial code size: 32 or 64 (.code32/.code64 switch it)")
  int bits;

  @Option(names = {"-o", "--output"}, paramLabel = "OUT.bin", description = "write the image here")
  Path output;

  @Option(names = "--origin", converter = Numbers.class, defaultValue = "0", description = "address of the first byte (default: ${DEFAULT-VALUE})")
  long origin;

  @Option(names = "--listing", description = "print address, bytes and source of every statement")
  boolean listing;

  @CommandLine.Mixin JsonOutput jsonOutput = new JsonOutput();

  @CommandLine.Mixin PreprocessorOptions cpp = new PreprocessorOptions();

  /** Bad source, located as FILE:LINE:COLUMN. */
  static final class SourceRejected extends RuntimeException implements RejectedInput {
    SourceRejected(String message, Throwable cause) {
      super(message, cause);
    }
  }

  @Override
  public Integer call() throws Exception {
    if (bits != 32 && bits != 64) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--bits must be 32 or 64, got " + bits);
    }
    Numbers.codeAddress(spec.commandLine(), "--origin", origin, bits);
    if (!Files.isRegularFile(source)) { // I/O: exit 4, before the preprocessor runs on it
      TextFile.read(source);
    }
    CPreprocessor.Output pre = CPreprocessor.wantsPreprocessing(source)
        ? CPreprocessor.run(source, cpp.options()) : null;
    String text;
    try {
      text = pre != null ? pre.text() : TextFile.read(source);
    } catch (java.io.IOException e) {
      throw IoFailure.at(source, e);
    }
    Assembly a = RoutineFile.assemble(source, text, bits, origin, pre);
    if (output != null) {
      OutputSet.writeFile(output, a.bytes(), true);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (jsonOutput.json) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("format", "kexec-sim/asm/v1");
      doc.put("bits", bits);
      doc.put("origin", Json.hex(origin));
      doc.put("size", a.size());
      Map<String, String> symbols = new LinkedHashMap<>();
      a.symbols().entrySet().stream().sorted(Map.Entry.comparingByValue())
          .forEach(e -> symbols.put(e.getKey(), Json.hex(e.getValue())));
      doc.put("symbols", symbols);
      if (output == null) {
        doc.put("bytes", HexFormat.of().formatHex(a.bytes()));
      }
      if (listing) {
        doc.put("listing", a.listing().stream().map(l -> Map.of(
            "line", pre != null ? pre.sourceLine(l.line()) : l.line(), "address", Json.hex(l.address()),
            "bytes", HexFormat.of().formatHex(a.bytes(), (int) (l.address() - origin), (int) (l.address() - origin) + l.length()),
            "source", l.source())).toList());
      }
      Json.print(out, doc);
      return ExitCode.OK;
    }
    if (listing) {
      printListing(out, a, pre);
    }
    out.printf("%s: %d bytes%s%n", source, a.size(), output == null ? "" : " written to " + output);
    a.symbols().entrySet().stream().sorted(Map.Entry.comparingByValue())
        .forEach(e -> out.printf("  %016x  %s%n", e.getValue(), e.getKey()));
    return ExitCode.OK;
  }

  private void printListing(PrintWriter out, Assembly a, CPreprocessor.Output pre) {
    byte[] bytes = a.bytes();
    HexFormat hex = HexFormat.ofDelimiter(" ");
    for (Assembly.ListingLine l : a.listing()) {
      int at = (int) (l.address() - origin);
      List<String> chunks = new java.util.ArrayList<>();
      for (int i = 0; i < Math.max(l.length(), 1); i += 8) {
        chunks.add(l.length() == 0 ? "" : hex.formatHex(bytes, at + i, at + Math.min(l.length(), i + 8)));
      }
      for (int i = 0; i < chunks.size(); i++) {
        out.printf("%5d  %08x  %-24s %s%n", pre != null ? pre.sourceLine(l.line()) : l.line(), l.address() + 8L * i, chunks.get(i), i == 0 ? l.source() : "");
      }
    }
  }
}
