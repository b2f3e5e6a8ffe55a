package org.kexecsim.benchmarks;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.kexecsim.cpu.Cpu;
import org.kexecsim.isa.Gpr;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Setup;

/**
 * The kernel's own swap_pages (Debian 6.1 x86_64 vmlinux, arch/x86/kernel/relocate_kernel_64.S)
 * on the model: it walks an indirection list of 4096 source pages and swaps each with its
 * destination through the swap page (three REP MOVSQ per page), 16 MiB each way, through 4-level
 * paging. Needs the -dbg vmlinux (KSIM_VMLINUX_X86_64, or the .ci/run cache path) and binutils.
 *
 * <pre>./bench RealSwapPagesBenchmark</pre>
 */
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class RealSwapPagesBenchmark extends RateBenchmark {
  static final long CODE = 0x10000, RETURN = 0x18000, LIST = 0x80_0000, SWAP = 0x90_0000, STACK = 0xA0_0000;

  Cpu cpu;
  long entry;

  @Setup
  public void build() throws IOException, InterruptedException {
    String env = System.getenv("KSIM_VMLINUX_X86_64");
    Path elf = Path.of(env != null ? env : "/var/cache/kexec-sim/usr/lib/debug/boot/vmlinux-6.1.0-57-amd64");
    if (!Files.isReadable(elf)) {
      throw new IllegalStateException(elf + " is missing: .ci/run fetches it (or set KSIM_VMLINUX_X86_64)");
    }
    String nm = run("nm", elf.toString());
    long start = symbol(nm, "relocate_kernel");
    long size = symbol(nm, "kexec_control_code_size");
    long swap = symbol(nm, "swap_pages");
    String dis = run("objdump", "-d", "-w", "--start-address=0x" + Long.toHexString(start),
        "--stop-address=0x" + Long.toHexString(start + size), elf.toString());
    ByteArrayOutputStream code = new ByteArrayOutputStream();
    Matcher m = Pattern.compile("(?m)^\\s*[0-9a-f]+:\\t([0-9a-f ]+?)\\s*(\\t.*)?$").matcher(dis);
    while (m.find()) {
      code.writeBytes(HexFormat.of().parseHex(m.group(1).replace(" ", "")));
    }
    cpu = InterpreterBenchmark.machine("hlt\n");
    byte[] bytes = code.toByteArray();
    cpu.memory().write(CODE, bytes, 0, bytes.length);
    cpu.memory().writeU8(RETURN, 0xF4);
    long at = LIST;
    cpu.memory().writeU64(at, InterpreterBenchmark.DST | 0x1); // IND_DESTINATION (include/linux/kexec.h)
    for (long pa = InterpreterBenchmark.SRC; pa < InterpreterBenchmark.SRC + InterpreterBenchmark.BYTES; pa += 4096) {
      at += 8;
      cpu.memory().writeU64(at, pa | 0x8); // IND_SOURCE
    }
    cpu.memory().writeU64(at + 8, 0x4); // IND_DONE
    entry = CODE + (swap - start);
    long srcWord = cpu.memory().readU64(InterpreterBenchmark.SRC);
    swapPages(new InterpreterBenchmark.Work());
    // a check, not a measurement: the routine returned and the first destination has the source's data
    if (cpu.state() != org.kexecsim.cpu.RunState.HALTED || cpu.rip() != RETURN + 1
        || cpu.memory().readU64(InterpreterBenchmark.DST) != srcWord) {
      throw new IllegalStateException("swap_pages did not run to its return: " + cpu.state() + " " + cpu.stopReason());
    }
  }

  @Benchmark
  public long swapPages(InterpreterBenchmark.Work work) {
    cpu.setRegister(Gpr.RDI, LIST | 0x2); // the head: an IND_INDIRECTION entry
    cpu.setRegister(10, SWAP);
    cpu.setRegister(Gpr.RSP, STACK - 8);
    cpu.memory().writeU64(STACK - 8, RETURN);
    cpu.setRip(entry);
    cpu.resume();
    long before = cpu.steps();
    cpu.run(Long.MAX_VALUE);
    work.bytes += 3 * InterpreterBenchmark.BYTES;
    work.instructions += cpu.steps() - before;
    return cpu.steps();
  }

  private static long symbol(String nm, String name) {
    Matcher m = Pattern.compile("(?m)^([0-9a-f]+) \\S " + Pattern.quote(name) + "$").matcher(nm);
    if (!m.find()) {
      throw new IllegalStateException("no symbol " + name);
    }
    return Long.parseUnsignedLong(m.group(1), 16);
  }

  private static String run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed");
    }
    return new String(out, StandardCharsets.UTF_8);
  }
}
