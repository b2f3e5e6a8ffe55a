package org.kexecsim.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.kexecsim.output.OutputSet;
import org.kexecsim.analyzer.Hex;
import org.kexecsim.analyzer.PagingContext;
import org.kexecsim.analyzer.ReportJson;
import org.kexecsim.analyzer.read.HexDump;
import org.kexecsim.analyzer.read.MemoryRead;
import org.kexecsim.analyzer.symbols.AddressExpression;
import org.kexecsim.analyzer.symbols.AddressNames;
import org.kexecsim.dump.Dump;
import org.kexecsim.memory.ByteSize;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kexec-sim rd IMAGE ADDRESS}. */
@Command(name = "rd",
    description = {"Reads memory of a dump by virtual address (through the root table, each page translated) or",
        "physical address (-p), as hex and ASCII, as 16/32/64-bit words, or raw bytes into a file (-o).",
        "An unmapped, non-RAM or excluded page is one line saying so, never zeros.",
        "Exit 0 when every byte was read, 1 when any page could not be."})
final class RdCommand extends CliCommand implements Callable<Integer> {
  /** --json carries the bytes in the document: beyond this, use -o. */
  static final long MAX_JSON_BYTES = 1 << 20;

  @CommandLine.Mixin DumpImages.OneImage input = new DumpImages.OneImage();

  @Parameters(index = "1", paramLabel = "ADDRESS", converter = AddressArgument.class,
      description = "where to start: hex (0x optional), a symbol, or symbol+0xOFFSET; virtual unless -p")
  AddressExpression address;

  @Option(names = {"-l", "--length"}, converter = Numbers.class, defaultValue = "64", paramLabel = "BYTES",
      description = "bytes to read: 0x100, 256, 4K (default: ${DEFAULT-VALUE})")
  long length;

  @Option(names = {"-p", "--physical"}, description = "ADDRESS is physical (a symbol: its physical address through the kernel image mapping)")
  boolean physical;

  @Option(names = {"-w", "--word"}, defaultValue = "8", paramLabel = "BITS",
      description = "8 (bytes with ASCII, the default), 16, 32 or 64-bit little-endian words")
  int word;

  @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "write the raw bytes to FILE (atomically: all or nothing)")
  Path output;

  @Option(names = "--force", description = "with -o, replace an existing FILE")
  boolean force;

  @Mixin PagingOptions paging;

  @Option(names = "--json", description = "machine-readable output (at most 1M bytes; use -o for more)")
  boolean json;

  @Override
  public Integer call() throws Exception {
    CommandLine cl = spec.commandLine();
    HexDump.Style style;
    try {
      style = HexDump.Style.ofBits(word);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, "--word: " + e.getMessage());
    }
    if (length == 0) {
      throw new CommandLine.ParameterException(cl, "--length 0: nothing to read");
    }
    if (json && output == null && Long.compareUnsigned(length, MAX_JSON_BYTES) > 0) {
      throw new CommandLine.ParameterException(cl, String.format("--json: %s is more than the %s a JSON document carries; write the bytes with -o instead",
          ByteSize.format(length), ByteSize.format(MAX_JSON_BYTES)));
    }
    try (Dump dump = input.open(cl)) {
      long start = physical ? paging.physical(cl, dump, address) : paging.virtual(cl, dump, address);
      if (Long.compareUnsigned(start + length - 1, start) < 0) {
        throw new CommandLine.ParameterException(cl, String.format("0x%x + %s wraps past the top of the address space", start, ByteSize.format(length)));
      }
      if (output == null && style.width() > 1 && ((start | length) & (style.width() - 1)) != 0) {
        throw new CommandLine.ParameterException(cl, String.format("--word %d: ADDRESS 0x%x and --length 0x%x must be multiples of %d bytes",
            word, start, length, style.width()));
      }
      Optional<PagingContext> ctx = physical ? Optional.empty() : Optional.of(paging.resolve(cl, dump));
      if (ctx.isPresent()) {
        PagingOptions.requireLinear(cl, ctx.get(), "ADDRESS", address.toString(), start, length);
      } else if (Long.compareUnsigned(start + length - 1, (1L << 52) - 1) > 0) {
        // as ptov: MAXPHYADDR is at most 52 (SDM Vol. 3A §4.1.4), no CPU forms a wider physical address
        throw new CommandLine.ParameterException(cl, String.format(
            "ADDRESS 0x%x + 0x%x reaches past 2^52: not a physical address (MAXPHYADDR is at most 52 bits)", start, length));
      }
      AddressNames names = paging.symbols(dump);
      Optional<String> symbol = physical ? names.atPhysical(start) : names.at(start);
      int digits = physical || Long.compareUnsigned(start + length - 1, 0xFFFF_FFFFL) > 0 ? 16 : 8;
      if (output != null) {
        return toFile(dump, ctx, start, symbol);
      }
      if (json) {
        return toJson(dump, ctx, start, symbol);
      }
      PrintWriter out = cl.getOut();
      out.printf("%s 0x%x%s, %s bytes%s%n", physical ? "physical" : "virtual", start, AddressNames.suffix(symbol), Long.toUnsignedString(length),
          ctx.map(c -> ", paging: " + c.describe()).orElse(""));
      HexDump dumpText = new HexDump(out, style, digits);
      MemoryRead.read(dump.physicalMemory(), ctx, start, length, dumpText);
      dumpText.finish();
      return dumpText.holes() == 0 ? ExitCode.OK : ExitCode.NEGATIVE;
    }
  }

  private int toFile(Dump dump, Optional<PagingContext> ctx, long start, Optional<String> symbol) throws IOException {
    try (OutputSet o = OutputSet.file(output, force)) {
      List<MemoryRead.Hole> holes = new ArrayList<>();
      try (FileChannel ch = o.create(null)) {
        IOException[] failed = new IOException[1];
        MemoryRead.read(dump.physicalMemory(), ctx, start, length, piece -> {
          if (failed[0] != null || !holes.isEmpty()) {
            return;
          }
          switch (piece) {
            case MemoryRead.Bytes b -> {
              try {
                ByteBuffer buf = ByteBuffer.wrap(b.data());
                while (buf.hasRemaining()) {
                  ch.write(buf);
                }
              } catch (IOException e) {
                failed[0] = e;
              }
            }
            case MemoryRead.Hole h -> holes.add(h);
          }
        });
        if (failed[0] != null) {
          throw failed[0];
        }
      } catch (IOException e) {
        throw o.failed(null, e);
      }
      if (!holes.isEmpty()) { // nothing is committed: an existing file stays as it was
        MemoryRead.Hole h = holes.getFirst();
        spec.commandLine().getErr().printf("kexec-sim: rd: 0x%x (%s): %s; %s not written%n", h.address(), ByteSize.format(h.length()), h.why(), output);
        return ExitCode.NEGATIVE;
      }
      o.commit();
    }
    spec.commandLine().getOut().printf("wrote %s bytes from %s 0x%x%s to %s%n", Long.toUnsignedString(length), physical ? "physical" : "virtual", start,
        AddressNames.suffix(symbol), output);
    return ExitCode.OK;
  }

  private int toJson(Dump dump, Optional<PagingContext> ctx, long start, Optional<String> symbol) {
    ObjectNode n = ReportJson.object("kexec-sim/rd/v1");
    ctx.ifPresent(c -> ReportJson.paging(n, c));
    n.put("space", physical ? "physical" : "virtual");
    n.put("start", Hex.of(start));
    symbol.ifPresent(s -> n.put("symbol", s));
    n.put("length", length);
    ArrayNode pieces = n.putArray("pieces");
    boolean[] complete = {true};
    MemoryRead.read(dump.physicalMemory(), ctx, start, length, piece -> {
      ObjectNode o = pieces.addObject();
      o.put("address", Hex.of(piece.address()));
      o.put("length", piece.length());
      switch (piece) {
        case MemoryRead.Bytes b -> {
          o.put("physical", Hex.of(b.physical()));
          o.put("hex", HexFormat.of().formatHex(b.data()));
        }
        case MemoryRead.Hole h -> {
          complete[0] = false;
          o.put("unreadable", h.why());
          o.put("excluded", h.excluded());
        }
      }
    });
    n.put("complete", complete[0]);
    spec.commandLine().getOut().println(ReportJson.write(n));
    return complete[0] ? ExitCode.OK : ExitCode.NEGATIVE;
  }
}
