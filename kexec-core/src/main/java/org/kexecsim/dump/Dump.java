package org.kexecsim.dump;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.kexecsim.memory.PhysicalMemory;

/**
 * A memory image and what its file says about the machine: the physical memory (read-only,
 * mapped from the file or decompressed page by page), the per-CPU notes and VMCOREINFO. Closing unmaps the file; the memory
 * must not be used afterwards.
 *
 * @param path the file, or the first part of a split dump
 * @param format how the file stores the memory
 * @param elfClass empty for anything but an ELF core
 * @param eMachine EM_386 (3), EM_X86_64 (62), or 0 for a raw image
 * @param kernelTextLoads PT_LOADs that alias RAM through the kernel text mapping (kexec-tools
 *     adds one on x86_64); kept out of the physical memory so that they cannot be mistaken for
 *     overlapping RAM
 */
public record Dump(
    Path path,
    DumpFormat format,
    Optional<ElfClass> elfClass,
    int eMachine,
    PhysicalMemory memory,
    List<ProgramHeader> loads,
    List<ProgramHeader> kernelTextLoads,
    List<Note> notes,
    List<PrStatus> prStatus,
    List<QemuCpuState> qemuCpuStates,
    Optional<VmcoreInfo> vmcoreInfo,
    Arena arena)
    implements AutoCloseable {

  public static final int EM_386 = ElfConstants.EM_386;
  public static final int EM_X86_64 = ElfConstants.EM_X86_64;

  public PhysicalMemory physicalMemory() {
    return memory;
  }

  /** Whether the file was an ELF core (as opposed to a raw image). */
  public boolean isElf() {
    return elfClass.isPresent();
  }

  /** The file name as the user will recognise it. */
  public String name() {
    return path.toString();
  }

  @Override
  public void close() {
    arena.close();
  }
}
