package org.kexecsim.analyzer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kexecsim.analyzer.verify.PgdVerifier;
import org.kexecsim.analyzer.vtop.Vtop;
import org.kexecsim.dump.CoreSpec;
import org.kexecsim.dump.CpuSnapshot;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.ElfClass;
import org.kexecsim.dump.ElfCoreReader;
import org.kexecsim.dump.ElfCoreWriter;
import org.kexecsim.dump.PrStatus;
import org.kexecsim.dump.Register;
import org.kexecsim.dump.RegisterFile;
import org.kexecsim.dump.VmcoreInfo;
import org.kexecsim.kernel.CrashedKernel;
import org.kexecsim.kernel.KernelBoot;
import org.kexecsim.kimage.Arch;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.RamRange;

/**
 * The kernel package's synthetic crashed kernel, dumped the two ways a real one is: as the
 * capture kernel's /proc/vmcore (root found through its VMCOREINFO) and as a QEMU dump (root
 * from CR3). Both must lead to the kernel's own tables.
 */
class CrashedKernelDumpTest {
  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(Arch.class)
  void theVmcoreOfACrashedKernelLeadsToItsPgdAndItsText(Arch arch) throws Exception {
    CrashedKernel k = KernelBoot.boot(arch, RamMap.ofSize(512L << 20), Optional.of("64M@256M"), 42);
    boolean x64 = arch == Arch.X86_64;
    VmcoreInfo info = VmcoreInfo.parse(new String(k.vmcoreinfoData(), StandardCharsets.US_ASCII).replace("\0", ""));
    RegisterFile regs = RegisterFile.EMPTY.with(Register.CR0, k.registers().cr0()).with(Register.CR3, k.registers().cr3())
        .with(Register.CR4, k.registers().cr4()).with(Register.EFER, k.registers().efer());
    PrStatus.Arch prArch = x64 ? PrStatus.Arch.X86_64 : PrStatus.Arch.I386;
    ElfClass cls = x64 ? ElfClass.ELF64 : ElfClass.ELF32;
    List<RamRange> ram = k.memory().ramMap().ranges();
    Optional<RamRange> crash = k.crashRegion().map(c -> RamRange.usable(c.start(), c.size()));

    Path vmcore = SimulatedMachine.readelf(write(k, CoreSpec.vmcore(cls, prArch, ram, List.of(new CpuSnapshot(1, regs)),
        Optional.of(info), crash), "vmcore"));
    Path qemu = SimulatedMachine.readelf(write(k, CoreSpec.qemu(cls, prArch, ram, List.of(new CpuSnapshot(1, regs)),
        Optional.empty()), "qemu"));
    try (Dump v = ElfCoreReader.open(vmcore); Dump q = ElfCoreReader.open(qemu)) {
      PagingContext fromInfo = RootTableFinder.find(v);
      assertEquals(k.kernelPgd(), fromInfo.root(), fromInfo.rootSource());
      assertEquals(arch.pagingMode(), fromInfo.mode(), fromInfo.modeSource());
      long pa = Vtop.translate(v.physicalMemory(), fromInfo, List.of(k.relocateKernelVirtual())).results().getFirst()
          .physical().orElseThrow();
      assertEquals(k.relocateKernelPhysical(), pa, "relocate_new_kernel through the vmcore");

      PagingContext fromCr3 = RootTableFinder.find(q);
      assertEquals(k.currentPgd(), fromCr3.root(), fromCr3.rootSource());
      assertTrue(PgdVerifier.verify(q.physicalMemory(), v.physicalMemory(), fromCr3).preserved(),
          "the vmcore leaves out only the crash region, which holds none of the old kernel's tables");
    }
  }

  private Path write(CrashedKernel k, CoreSpec spec, String name) throws Exception {
    Path out = dir.resolve(name);
    ElfCoreWriter.write(k.memory(), spec, out, false);
    return out;
  }
}
