package org.kexecsim.dump;

import static org.kexecsim.dump.Register.*;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The NT_PRSTATUS note ("CORE") the kernel saves for each CPU at a crash (kernel/crash_core.c
 * crash_save_cpu) and QEMU writes for each vCPU (target/i386/arch_dump.c): a {@code struct
 * elf_prstatus} whose pr_reg is the architecture's {@code elf_gregset_t}.
 *
 * <pre>
 * x86_64, 336 bytes                     i386, 144 bytes
 *   0 pr_info (3 x int)                   0 pr_info
 *  12 pr_cursig (short)                  12 pr_cursig
 *  16 pr_sigpend, 24 pr_sighold (long)   16 pr_sigpend, 20 pr_sighold (long)
 *  32 pr_pid  36 pr_ppid  40 pr_pgrp     24 pr_pid ... 36 pr_sid
 *  44 pr_sid  48 4 x struct timeval      40 4 x struct timeval (8 bytes each)
 * 112 pr_reg: 27 x 8 bytes               72 pr_reg: 17 x 4 bytes
 * 328 pr_fpvalid                        140 pr_fpvalid
 * </pre>
 */
public record PrStatus(Arch arch, int pid, RegisterFile registers) implements CpuNote {

  /** Which elf_prstatus layout. */
  public enum Arch {
    X86_64(336, 32, 112, 8,
        List.of(R15, R14, R13, R12, RBP, RBX, R11, R10, R9, R8, RAX, RCX, RDX, RSI, RDI,
            ORIG_RAX, RIP, CS, RFLAGS, RSP, SS, FS_BASE, GS_BASE, DS, ES, FS, GS)),
    /** arch/x86/include/asm/elf.h: ebx ecx edx esi edi ebp eax ds es fs gs orig_eax eip cs eflags esp ss. */
    I386(144, 24, 72, 4,
        List.of(RBX, RCX, RDX, RSI, RDI, RBP, RAX, DS, ES, FS, GS, ORIG_RAX, RIP, CS, RFLAGS, RSP, SS));

    private final int size;
    private final int pidOffset;
    private final int regOffset;
    private final int regWidth;
    private final List<Register> prReg;

    Arch(int size, int pidOffset, int regOffset, int regWidth, List<Register> prReg) {
      this.size = size;
      this.pidOffset = pidOffset;
      this.regOffset = regOffset;
      this.regWidth = regWidth;
      this.prReg = prReg;
    }

    /** sizeof(struct elf_prstatus). */
    public int size() {
      return size;
    }

    /** The registers of pr_reg in their order. */
    public List<Register> prReg() {
      return prReg;
    }

    static Arch ofDescSize(long nDescsz) {
      for (Arch a : values()) {
        if (a.size == nDescsz) {
          return a;
        }
      }
      return null;
    }
  }

  @Override
  public String noteName() {
    return "CORE";
  }

  /** Decodes a note descriptor of exactly {@code arch.size()} bytes at {@code offset}. */
  static PrStatus read(MemorySegment file, long offset, Arch arch) {
    int pid = file.get(ElfConstants.U32, offset + arch.pidOffset);
    RegisterFile regs = RegisterFile.EMPTY;
    for (int i = 0; i < arch.prReg.size(); i++) {
      long at = offset + arch.regOffset + (long) i * arch.regWidth;
      long v = arch.regWidth == 8
          ? file.get(ElfConstants.U64, at)
          : file.get(ElfConstants.U32, at) & 0xFFFF_FFFFL;
      regs = regs.with(arch.prReg.get(i), v);
    }
    return new PrStatus(arch, pid, regs);
  }

  /** The descriptor bytes; absent registers are written as 0. */
  byte[] descriptor() {
    ByteBuffer b = ByteBuffer.allocate(arch.size).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(arch.pidOffset, pid);
    for (int i = 0; i < arch.prReg.size(); i++) {
      long v = registers.getOrZero(arch.prReg.get(i));
      int at = arch.regOffset + i * arch.regWidth;
      if (arch.regWidth == 8) {
        b.putLong(at, v);
      } else {
        b.putInt(at, (int) v);
      }
    }
    return b.array();
  }
}
