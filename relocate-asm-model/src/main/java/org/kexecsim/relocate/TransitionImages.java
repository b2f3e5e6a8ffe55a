package org.kexecsim.relocate;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.kexecsim.dump.CoreLayout;
import org.kexecsim.dump.CoreSpec;
import org.kexecsim.dump.CpuSnapshot;
import org.kexecsim.dump.ElfClass;
import org.kexecsim.dump.ElfCoreWriter;
import org.kexecsim.dump.PrStatus;
import org.kexecsim.dump.Register;
import org.kexecsim.dump.RegisterFile;
import org.kexecsim.dump.VmcoreInfo;
import org.kexecsim.kernel.CrashedKernel;
import org.kexecsim.kernel.KernelText;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.CrashRegion;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamRange;
import org.kexecsim.output.OutputSet;

/**
 * The files a transition leaves: the machine's memory at the crash ({@code pre.core}) and when
 * the run ended ({@code post.core}), both in QEMU's dump-guest-memory layout with a CPU note
 * carrying the registers and CR0–CR4; and {@code vmcore}, what the capture kernel presents as
 * /proc/vmcore: the memory after the transition minus the crash region, one merged PT_NOTE with
 * NT_PRSTATUS and the crashed kernel's VMCOREINFO, and on x86_64 a first PT_LOAD for the kernel
 * text mapping. ELF64 with EM_X86_64 for x86_64; for i386 and PAE each file takes the class its
 * producer would choose ({@link #qemuClass}, {@link #vmcoreClass}).
 */
public final class TransitionImages {
  private TransitionImages() {}

  public record Written(Path pre, Path post, Path vmcore, Path systemMap) {}

  /** The files of a transition's output set, in the order they are written. */
  public static final List<String> FILES = List.of("pre.core", "post.core", "vmcore", "System.map");

  /**
   * Checks {@code dir} and opens its output set; call it before the transition runs, so that a
   * refusal (an earlier set without {@code force}, a directory holding other files) costs nothing.
   */
  public static OutputSet open(Path dir, boolean force) throws IOException {
    return OutputSet.directory(dir, FILES, force);
  }

  /** Writes the set into {@code dir} as a whole. */
  public static Written write(TransitionResult r, Path dir, boolean force) throws IOException {
    try (OutputSet set = open(dir, force)) {
      return write(r, set);
    }
  }

  /** Writes every file of the set, then publishes them together: the old set or the new, never a mix. */
  public static Written write(TransitionResult r, OutputSet set) throws IOException {
    return write(r, set, List.of());
  }

  /** As {@link #write(TransitionResult, OutputSet)}, the vmcore carrying {@code vmcoreNotes} too (a hypervisor's crash notes). */
  public static Written write(TransitionResult r, OutputSet set, List<CoreSpec.ExtraNote> vmcoreNotes) throws IOException {
    CrashedKernel k = r.kernel();
    boolean x64 = k.arch().is64Bit();
    List<RamRange> ram = k.memory().ramMap().ranges();

    PrStatus.Arch prArch = x64 ? PrStatus.Arch.X86_64 : PrStatus.Arch.I386;
    Optional<VmcoreInfo> info = Optional.of(vmcoreInfo(k));
    Optional<RamRange> crash = k.crashRegion().map(TransitionImages::range);

    CpuSnapshot atCrash = new CpuSnapshot(k.currentPid(), crashRegisters(k, r));
    CpuSnapshot atEnd = new CpuSnapshot(k.currentPid(), endRegisters(r.finalState()));
    Written w = new Written(set.finalPath("pre.core"), set.finalPath("post.core"), set.finalPath("vmcore"),
        set.finalPath("System.map"));
    ElfClass qemu = qemuClass(x64, ram);
    List<RamRange> kernelRam = kernelVisibleRam(k.arch(), ram);
    CoreSpec vmcore = CoreSpec.vmcore(vmcoreClass(x64, kernelRam, crash), prArch, kernelRam, List.of(atCrash), info, crash)
        .withNotes(vmcoreNotes);
    if (x64) {
      // kexec-tools crashdump-x86.c get_kernel_vaddr_and_size: the /proc/kcore segment holding
      // _stext, its start aligned down to 1 MiB, backed from "Kernel code" in /proc/iomem.
      KernelText t = k.text();
      long vaddr = t.virtualStart() & ~0xF_FFFFL;
      long paddr = t.physical(t.virtualStart()) - (t.virtualStart() - vaddr);
      long size = (t.size() + (t.virtualStart() - vaddr) + PhysicalMemory.PAGE_SIZE - 1) & -PhysicalMemory.PAGE_SIZE;
      vmcore = vmcore.withKernelText(new CoreSpec.KernelTextLoad(vaddr, paddr, size));
    }
    core(set, "pre.core", r.pre(), CoreSpec.qemu(qemu, prArch, ram, List.of(atCrash), info));
    core(set, "post.core", r.post(), CoreSpec.qemu(qemu, prArch, ram, List.of(atEnd), info));
    core(set, "vmcore", r.post(), vmcore);
    try (FileChannel ch = set.create("System.map")) {
      ByteBuffer b = ByteBuffer.wrap(systemMap(k, info.get()).getBytes(StandardCharsets.US_ASCII));
      while (b.hasRemaining()) {
        ch.write(b);
      }
    } catch (IOException e) {
      throw set.failed("System.map", e);
    }
    set.commit();
    return w;
  }

  private static void core(OutputSet set, String name, PhysicalMemory memory, CoreSpec spec) throws IOException {
    try (FileChannel ch = set.create(name)) {
      ElfCoreWriter.write(memory, spec, ch);
    } catch (IOException e) {
      throw set.failed(name, e);
    }
  }

  /**
   * The synthetic kernel's System.map in nm's format ("address type name", sorted by address;
   * scripts/mksysmap): the symbols VMCOREINFO names, the image's _text/_stext/_end, relocate_kernel
   * and linux_banner, each at the address the image really has it.
   */
  static String systemMap(CrashedKernel k, VmcoreInfo info) {
    java.util.TreeMap<String, long[]> symbols = new java.util.TreeMap<>();
    KernelText t = k.text();
    symbols.put("_text", new long[] {t.virtualStart(), 'T'});
    symbols.put("_stext", new long[] {t.virtualStart(), 'T'});
    symbols.put("_etext", new long[] {t.virtualStart() + t.textBytes(), 'T'});
    symbols.put("_end", new long[] {t.virtualStart() + t.size(), 'B'});
    symbols.put("relocate_kernel", new long[] {k.relocateKernelVirtual(), 'T'});
    symbols.put("linux_banner", new long[] {k.linuxBanner(), 'D'});
    for (var e : info.entries().entrySet()) {
      String key = e.getKey();
      if (key.startsWith("SYMBOL(") && key.endsWith(")")) {
        String name = key.substring(7, key.length() - 1);
        if (name.equals("mem_section")) {
          // VMCOREINFO_SYMBOL_ARRAY (kernel/crash_core.c): the value is the pointer's contents,
          // the root array in the direct map, not where the symbol is; System.map has symbols.
          continue;
        }
        symbols.putIfAbsent(name, new long[] {Long.parseUnsignedLong(e.getValue(), 16), 'D'});
      }
    }
    String width = k.arch().is64Bit() ? "%016x" : "%08x";
    StringBuilder b = new StringBuilder();
    symbols.entrySet().stream()
        .sorted((x, y) -> {
          int c = Long.compareUnsigned(x.getValue()[0], y.getValue()[0]);
          return c != 0 ? c : x.getKey().compareTo(y.getKey());
        })
        .forEach(e -> b.append(String.format(width, e.getValue()[0])).append(' ')
            .append((char) e.getValue()[1]).append(' ').append(e.getKey()).append('\n'));
    return b.toString();
  }

  /**
   * The RAM a kernel lists as System RAM in /proc/iomem, which kexec-tools dumps: all of it, except
   * that a non-PAE i386 kernel holds physical addresses in a 32-bit resource_size_t and caps
   * max_pfn at MAX_NONPAE_PFN (arch/x86/kernel/e820.c e820__reserve_resources, arch/x86/mm/init_32.c
   * highmem_pfn_init), so RAM above 4 GiB is not its RAM. QEMU's files still hold all of the guest's.
   */
  static List<RamRange> kernelVisibleRam(Arch arch, List<RamRange> ram) {
    if (arch != Arch.I386) {
      return ram;
    }
    List<RamRange> out = new java.util.ArrayList<>();
    for (RamRange r : ram) {
      if (Long.compareUnsigned(r.start(), 1L << 32) < 0) {
        long end = Long.compareUnsigned(r.end(), 1L << 32) > 0 ? 1L << 32 : r.end();
        out.add(new RamRange(r.start(), end - r.start(), r.type()));
      }
    }
    return out;
  }

  /**
   * The class QEMU picks for a guest not in long mode: ELF32 unless a block of guest memory ends
   * above 4 GiB (target/i386/arch_dump.c cpu_get_dump_info: target_end > UINT_MAX).
   */
  static ElfClass qemuClass(boolean x64, List<RamRange> ram) {
    return x64 || Long.compareUnsigned(ram.getLast().end(), 0xFFFF_FFFFL) > 0 ? ElfClass.ELF64 : ElfClass.ELF32;
  }

  /**
   * The class of the capture kernel's /proc/vmcore, which keeps the class of the elfcorehdr
   * (fs/proc/vmcore.c parses both): kexec-tools crashdump-x86.c get_core_type takes ELF64 on
   * x86_64, and on i386 when the last crash memory range (RAM minus the crash region) ends above
   * 0xFFFFFFFF. One case kexec-tools would get wrong is taken as ELF64 instead: a file whose
   * sizes or offsets do not fit 32 bits (4 GiB of RAM with the crash region outside it).
   */
  static ElfClass vmcoreClass(boolean x64, List<RamRange> ram, Optional<RamRange> crash) {
    if (x64) {
      return ElfClass.ELF64;
    }
    List<RamRange> dumped = crash.map(c -> ElfCoreWriter.withoutRegion(ram, c)).orElse(ram);
    long bytes = 0;
    for (RamRange r : dumped) {
      bytes += r.size() + PhysicalMemory.PAGE_SIZE; // each PT_LOAD starts on a page of the file
    }
    boolean fits = !dumped.isEmpty() && Long.compareUnsigned(dumped.getLast().last(), 0xFFFF_FFFFL) <= 0
        && Long.compareUnsigned(bytes + (1 << 20), 0xFFFF_FFFFL) <= 0;
    return fits ? ElfClass.ELF32 : ElfClass.ELF64;
  }

  private static RamRange range(CrashRegion c) {
    return RamRange.reserved(c.range().start(), c.range().size());
  }

  /** The VMCOREINFO note the crashed kernel keeps in memory (name "VMCOREINFO", type 0). */
  static VmcoreInfo vmcoreInfo(CrashedKernel k) {
    PhysicalMemory m = k.memory();
    long note = k.vmcoreinfoNote();
    long namesz = m.readU32(note);
    long descsz = m.readU32(note + 4);
    long desc = note + 12 + ((namesz + 3) & ~3L);
    byte[] text = new byte[(int) Math.min(descsz, VmcoreInfo.MAX_BYTES)];
    m.read(desc, text, 0, text.length);
    return VmcoreInfo.parse(new String(text, StandardCharsets.US_ASCII));
  }

  /** The crashing CPU as crash_save_cpu saw it: kernel CR3, about to call relocate_kernel. */
  private static RegisterFile crashRegisters(CrashedKernel k, TransitionResult r) {
    Map<Register, Long> m = new EnumMap<>(Register.class);
    m.put(Register.RIP, r.prepare().switchVirtual());
    m.put(Register.RFLAGS, 0x2L);
    m.put(Register.CR0, k.registers().cr0());
    m.put(Register.CR3, k.registers().cr3());
    m.put(Register.CR4, k.registers().cr4());
    m.put(Register.EFER, k.registers().efer());
    m.put(Register.CS, (long) (k.arch().is64Bit() ? 0x10 : 0x60));
    m.put(Register.DS, (long) (k.arch().is64Bit() ? 0x18 : 0x68));
    m.put(Register.SS, (long) (k.arch().is64Bit() ? 0x18 : 0x68));
    return RegisterFile.of(m);
  }

  private static RegisterFile endRegisters(TransitionResult.MachineState s) {
    Map<Register, Long> m = new EnumMap<>(Register.class);
    Register[] byNumber = {Register.RAX, Register.RCX, Register.RDX, Register.RBX, Register.RSP, Register.RBP,
        Register.RSI, Register.RDI, Register.R8, Register.R9, Register.R10, Register.R11, Register.R12,
        Register.R13, Register.R14, Register.R15};
    for (int i = 0; i < 16; i++) {
      m.put(byNumber[i], s.gpr()[i]);
    }
    m.put(Register.RIP, s.rip());
    m.put(Register.RFLAGS, s.rflags());
    m.put(Register.CR0, s.cr0());
    m.put(Register.CR2, s.cr2());
    m.put(Register.CR3, s.cr3());
    m.put(Register.CR4, s.cr4());
    m.put(Register.EFER, s.efer());
    m.put(Register.CS, (long) s.cs());
    m.put(Register.DS, (long) s.ds());
    m.put(Register.SS, (long) s.ss());
    return RegisterFile.of(m);
  }
}
