package org.kexecsim.uml.mode;

import org.kexecsim.uml.host.HostArch;

/**
 * Layout of the two skas0 stub pages (seed: the skas0 patch; arch/um/kernel/sys-$(SUBARCH)/stub.S,
 * arch/um/kernel/skas/process.c stub_segv_handler). The code page is one page of UML's kernel
 * image, shared by every process; the data page is per mm and is both the SIGSEGV handler's
 * stack (sigaltstack) and the buffer of register sets the stub pops.
 *
 * <pre>
 *  data page:  0    struct faultinfo (base of the stub stack)
 *              32   records the stub executed      40  return value of the last one
 *              64   records: nr, 6 args (words); nr 0 ends the batch
 *              ...  top SIGNAL_RESERVE bytes: the signal frame
 * </pre>
 */
public final class StubPages {
  private StubPages() {}

  /** Where the stub section sits in the physmem file (written out there in setup_physmem). */
  public static final long CODE_OFFSET = 0x1000;
  /** stub_segv_handler's offset in the code page. */
  public static final int HANDLER_OFFSET = StubCode.HANDLER;
  public static final int BATCH_DONE = 32;
  public static final int BATCH_RET = 40;
  public static final int BATCH_RECORDS = 64;
  /** Room at the top of the data page for the host's signal frame. */
  public static final int SIGNAL_RESERVE = 1024;
  /** Words per record: the syscall number and its six arguments. */
  public static final int RECORD_WORDS = 7;

  /** Records that fit between the header and the signal frame. */
  public static int capacity(HostArch arch) {
    return (4096 - BATCH_RECORDS - SIGNAL_RESERVE) / (RECORD_WORDS * arch.wordSize());
  }
}
