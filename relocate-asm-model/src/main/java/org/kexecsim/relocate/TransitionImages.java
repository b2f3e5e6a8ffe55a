package org.kexecsim.relocate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
import org.kexecsim.kimage.CrashRegion;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamRange;

/**
 * The files a transition leaves: the machine's memory at the crash ({@code pre.core}) and when
 * the run ended ({@code post.core}), both in QEMU's dump-guest-memory layout with a CPU note
 * carrying the registers and CR0–CR4; and {@code vmcore}, what the capture kernel presents as
 * /proc/vmcore: the memory after the transition minus the crash region, one merged PT_NOTE with
 * NT_PRSTATUS and the crashed kernel's VMCOREINFO. ELF64 for x86_64, ELF32 for i386 and PAE
 * unless RAM reaches above 4 GiB (as kexec-tools chooses).
 */
public final class TransitionImages {
  private TransitionImages() {}

  public record Written(Path pre, Path post, Path vmcore) {}

  public static Written write(TransitionResult r, Path dir, boolean force) throws IOException {
    Files.createDirectories(dir);
    CrashedKernel k = r.kernel();
    boolean x64 = k.arch().is64Bit();
    List<RamRange> ram = k.memory().ramMap().ranges();
    ElfClass cls = x64 || ram.getLast().last() > 0xFFFF_FFFFL ? ElfClass.ELF64 : ElfClass.ELF32;
    PrStatus.Arch prArch = x64 ? PrStatus.Arch.X86_64 : PrStatus.Arch.I386;
    Optional<VmcoreInfo> info = Optional.of(vmcoreInfo(k));
    Optional<RamRange> crash = k.crashRegion().map(TransitionImages::range);

    CpuSnapshot atCrash = new CpuSnapshot(k.currentPid(), crashRegisters(k, r));
    CpuSnapshot atEnd = new CpuSnapshot(k.currentPid(), endRegisters(r.finalState()));
    Written w = new Written(dir.resolve("pre.core"), dir.resolve("post.core"), dir.resolve("vmcore"));
    ElfCoreWriter.write(r.pre(), CoreSpec.qemu(cls, prArch, ram, List.of(atCrash), info), w.pre(), force);
    ElfCoreWriter.write(r.post(), CoreSpec.qemu(cls, prArch, ram, List.of(atEnd), info), w.post(), force);
    ElfCoreWriter.write(r.post(), CoreSpec.vmcore(cls, prArch, ram, List.of(atCrash), info, crash), w.vmcore(), force);
    return w;
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
