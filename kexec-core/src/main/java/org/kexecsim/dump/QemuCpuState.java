package org.kexecsim.dump;

import static org.kexecsim.dump.Register.*;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The "QEMU" note (n_type 0) that QEMU's dump-guest-memory writes for each vCPU
 * (target/i386/arch_dump.c, struct QEMUCPUState, version 1). Unlike NT_PRSTATUS it carries the
 * control registers, so CR3 is in the dump. Layout, all little-endian:
 *
 * <pre>
 *   0 u32 version (1)   4 u32 size
 *   8 u64 rax rbx rcx rdx rsi rdi rsp rbp r8 .. r15      (16 x 8)
 * 136 u64 rip  144 u64 rflags
 * 152 QEMUCPUSegment cs ds es fs gs ss ldt tr gdt idt    (10 x 24: u32 selector, limit, flags, pad; u64 base)
 * 392 u64 cr[5]                                         (cr0 .. cr4)
 * 432 end (newer QEMU appends u64 kernel_gs_base and raises size to 440)
 * </pre>
 *
 * @param csFlags the flags word of the CS segment in QEMU's descriptor-cache format; bit 21 is
 *     the L bit (QEMU target/i386/cpu.h DESC_L_SHIFT), set while the vCPU runs 64-bit code
 */
public record QemuCpuState(int version, int size, RegisterFile registers, int csFlags) implements CpuNote {
  /** sizeof(QEMUCPUState) as this writer emits it. */
  public static final int SIZE = 432;
  public static final int VERSION = 1;
  /** DESC_L_MASK: the CS descriptor's L bit in QEMU's flags word. */
  public static final int CS_FLAG_L = 1 << 21;

  private static final List<Register> GPRS =
      List.of(RAX, RBX, RCX, RDX, RSI, RDI, RSP, RBP, R8, R9, R10, R11, R12, R13, R14, R15);
  private static final List<Register> SEGMENTS = List.of(CS, DS, ES, FS, GS, SS);
  private static final int RIP_OFFSET = 136;
  private static final int SEGMENTS_OFFSET = 152;
  private static final int SEGMENT_SIZE = 24;
  private static final int CR_OFFSET = 392;
  private static final List<Register> CRS = java.util.Arrays.asList(CR0, null, CR2, CR3, CR4);

  @Override
  public String noteName() {
    return "QEMU";
  }

  static QemuCpuState read(MemorySegment file, long offset) {
    int version = file.get(ElfConstants.U32, offset);
    int size = file.get(ElfConstants.U32, offset + 4);
    RegisterFile regs = RegisterFile.EMPTY;
    for (int i = 0; i < GPRS.size(); i++) {
      regs = regs.with(GPRS.get(i), file.get(ElfConstants.U64, offset + 8 + 8L * i));
    }
    regs = regs.with(RIP, file.get(ElfConstants.U64, offset + RIP_OFFSET));
    regs = regs.with(RFLAGS, file.get(ElfConstants.U64, offset + RIP_OFFSET + 8));
    for (int i = 0; i < SEGMENTS.size(); i++) {
      regs = regs.with(SEGMENTS.get(i), file.get(ElfConstants.U32, offset + SEGMENTS_OFFSET + (long) SEGMENT_SIZE * i) & 0xFFFF_FFFFL);
    }
    regs = regs.with(FS_BASE, file.get(ElfConstants.U64, offset + SEGMENTS_OFFSET + SEGMENT_SIZE * 3 + 16));
    regs = regs.with(GS_BASE, file.get(ElfConstants.U64, offset + SEGMENTS_OFFSET + SEGMENT_SIZE * 4 + 16));
    for (int i = 0; i < CRS.size(); i++) {
      if (CRS.get(i) != null) {
        regs = regs.with(CRS.get(i), file.get(ElfConstants.U64, offset + CR_OFFSET + 8L * i));
      }
    }
    int csFlags = file.get(ElfConstants.U32, offset + SEGMENTS_OFFSET + 8);
    return new QemuCpuState(version, size, regs, csFlags);
  }

  /** A version-1 state from {@code registers}; CS gets the L bit when EFER.LMA (bit 10) is set. */
  static QemuCpuState of(RegisterFile registers) {
    boolean longMode = (registers.getOrZero(EFER) & (1L << 10)) != 0;
    return new QemuCpuState(VERSION, SIZE, registers, longMode ? CS_FLAG_L : 0);
  }

  byte[] descriptor() {
    ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0, version);
    b.putInt(4, SIZE);
    for (int i = 0; i < GPRS.size(); i++) {
      b.putLong(8 + 8 * i, registers.getOrZero(GPRS.get(i)));
    }
    b.putLong(RIP_OFFSET, registers.getOrZero(RIP));
    b.putLong(RIP_OFFSET + 8, registers.getOrZero(RFLAGS));
    for (int i = 0; i < SEGMENTS.size(); i++) {
      b.putInt(SEGMENTS_OFFSET + SEGMENT_SIZE * i, (int) registers.getOrZero(SEGMENTS.get(i)));
      b.putInt(SEGMENTS_OFFSET + SEGMENT_SIZE * i + 4, 0xFFFF_FFFF);
    }
    b.putInt(SEGMENTS_OFFSET + 8, csFlags);
    b.putLong(SEGMENTS_OFFSET + SEGMENT_SIZE * 3 + 16, registers.getOrZero(FS_BASE));
    b.putLong(SEGMENTS_OFFSET + SEGMENT_SIZE * 4 + 16, registers.getOrZero(GS_BASE));
    for (int i = 0; i < CRS.size(); i++) {
      if (CRS.get(i) != null) {
        b.putLong(CR_OFFSET + 8 * i, registers.getOrZero(CRS.get(i)));
      }
    }
    return b.array();
  }
}
