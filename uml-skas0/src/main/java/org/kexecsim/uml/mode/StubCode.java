package org.kexecsim.uml.mode;

import org.kexecsim.isa.Assembler;
import org.kexecsim.uml.host.HostArch;
import org.kexecsim.uml.host.Physmem;

/**
 * The stub page as machine code, ours, in AT&T syntax for the project's assembler (and GNU as,
 * which a test holds it to byte for byte). The host runs it on the CPU model in the stub
 * process's address space. Two protocols:
 *
 * <ul>
 *   <li>2005 (seed: the skas0 patch, arch/um/sys-$(SUBARCH)/stub.S and stub_segv.c): pop a
 *       syscall number and six arguments from the stack, syscall, count it and keep its return
 *       in the data page, stop at number 0 or at the first error with kill(getpid(), SIGSTOP);
 *       the SIGSEGV handler copies err, trapno and cr2 from the signal frame into the struct
 *       faultinfo at the start of the data page and stops the same way.
 *   <li>today (6.1 stub.c stub_syscall_handler, stub_segv.c, clone.c): run the struct
 *       stub_data queue by index, store the first error and its index, end with int3; the
 *       handler ends with int3; the clone stub forks, and the child maps its own data pages.
 * </ul>
 *
 * The signal frame is the model's {@link org.kexecsim.uml.host.SigFrame} (words: err 6,
 * trapno 7, cr2 8), not the kernel's ucontext.
 */
public final class StubCode {
  private StubCode() {}

  /** Where each routine starts in the code page. */
  public static final int STUB = 0;
  public static final int HANDLER = 0x100;
  public static final int CLONE = 0x200;

  /** The 2005 batch stub: registers sets on the stack, number 0 ends the batch. */
  public static String stub2005(HostArch a) {
    long data = a.stubData();
    if (a == HostArch.X86_64) {
      return String.format("""
          # skas0 (2005) batch stub: pop nr and six arguments until nr 0 or an error
          1:	pop	%%rax
          	test	%%rax, %%rax
          	jz	2f
          	pop	%%rdi
          	pop	%%rsi
          	pop	%%rdx
          	pop	%%r10
          	pop	%%r8
          	pop	%%r9
          	syscall
          	movabs	$0x%x, %%rbx
          	incq	%d(%%rbx)
          	mov	%%rax, %d(%%rbx)
          	cmp	$-4095, %%rax
          	jb	1b
          2:	mov	$39, %%eax
          	syscall
          	mov	%%rax, %%rdi
          	mov	$19, %%esi
          	mov	$62, %%eax
          	syscall
          """, data, StubPages.BATCH_DONE, StubPages.BATCH_RET);
    }
    return String.format("""
        # skas0 (2005) batch stub, i386: int $0x80 takes ebx, ecx, edx, esi, edi, ebp
        1:	pop	%%eax
        	test	%%eax, %%eax
        	jz	2f
        	pop	%%ebx
        	pop	%%ecx
        	pop	%%edx
        	pop	%%esi
        	pop	%%edi
        	pop	%%ebp
        	int	$0x80
        	mov	$0x%x, %%ebx
        	incl	%d(%%ebx)
        	mov	%%eax, %d(%%ebx)
        	cmp	$-4095, %%eax
        	jb	1b
        2:	mov	$20, %%eax
        	int	$0x80
        	mov	%%eax, %%ebx
        	mov	$19, %%ecx
        	mov	$37, %%eax
        	int	$0x80
        """, data, StubPages.BATCH_DONE, StubPages.BATCH_RET);
  }

  /** The SIGSEGV handler: faultinfo from the signal frame at the stack pointer, then the stop. */
  public static String handler(HostArch a, boolean today) {
    long fi = today ? PtraceDriver.dataVa(a) : a.stubData();
    if (a == HostArch.X86_64) {
      // struct faultinfo {int error_code; unsigned long cr2; int trap_no} (faultinfo_64.h)
      String stop = today ? "\tint3\n" : """
          	mov	$39, %eax
          	syscall
          	mov	%rax, %rdi
          	mov	$19, %esi
          	mov	$62, %eax
          	syscall
          """;
      return String.format("""
          # stub_segv_handler: the frame's err, cr2 and trapno into struct faultinfo
          	movabs	$0x%x, %%rax
          	mov	48(%%rsp), %%rdx
          	mov	%%edx, (%%rax)
          	mov	64(%%rsp), %%rdx
          	mov	%%rdx, 8(%%rax)
          	mov	56(%%rsp), %%rdx
          	mov	%%edx, 16(%%rax)
          """, fi) + stop;
    }
    // struct faultinfo {unsigned long cr2; unsigned long error_code; unsigned long trap_no} (faultinfo_32.h)
    String stop = today ? "\tint3\n" : """
        	mov	$20, %eax
        	int	$0x80
        	mov	%eax, %ebx
        	mov	$19, %ecx
        	mov	$37, %eax
        	int	$0x80
        """;
    return String.format("""
        # stub_segv_handler, i386
        	mov	$0x%x, %%eax
        	mov	24(%%esp), %%edx
        	mov	%%edx, 4(%%eax)
        	mov	32(%%esp), %%edx
        	mov	%%edx, (%%eax)
        	mov	28(%%esp), %%edx
        	mov	%%edx, 8(%%eax)
        """, fi) + stop;
  }

  /** Today's stub: struct stub_data's queue by index (StubQueue), the first error stored, int3. */
  public static String stubToday(HostArch a) {
    long data = PtraceDriver.dataVa(a);
    if (a == HostArch.X86_64) {
      return String.format("""
          # stub_syscall_handler: for (i = 0; i < d->syscall_data_len; i++) run d->syscall_data[i]
          	xor	%%ebx, %%ebx
          1:	movabs	$0x%x, %%rbp
          	cmp	24(%%rbp), %%rbx
          	jae	9f
          	lea	(%%rbx,%%rbx,4), %%rcx
          	lea	32(%%rbp,%%rcx,8), %%r12
          	mov	(%%r12), %%rdi
          	mov	8(%%r12), %%rsi
          	mov	28(%%r12), %%edx
          	mov	32(%%r12), %%ecx
          	cmp	$1, %%ecx
          	je	2f
          	cmp	$2, %%ecx
          	je	3f
          	cmp	$3, %%ecx
          	je	4f
          	mov	$-95, %%rax
          	jmp	8f
          2:	mov	$0x11, %%r10d
          	mov	24(%%r12), %%r8d
          	mov	16(%%r12), %%r9
          	mov	$9, %%eax
          	jmp	5f
          3:	mov	$11, %%eax
          	jmp	5f
          4:	mov	$10, %%eax
          5:	syscall
          	cmp	$-4095, %%rax
          	jae	8f
          	inc	%%rbx
          	jmp	1b
          8:	mov	%%rax, 8(%%rbp)
          	mov	%%rbx, 24(%%rbp)
          9:	int3
          """, data);
    }
    return String.format("""
        # stub_syscall_handler, i386: all six argument registers are taken, so i lives on the stack
        	xor	%%eax, %%eax
        	push	%%eax
        1:	mov	$0x%x, %%ebp
        	mov	(%%esp), %%ecx
        	cmp	12(%%ebp), %%ecx
        	jae	9f
        	lea	(%%ecx,%%ecx,2), %%ecx
        	lea	16(%%ebp,%%ecx,8), %%ebp
        	mov	20(%%ebp), %%eax
        	mov	(%%ebp), %%ebx
        	mov	4(%%ebp), %%ecx
        	mov	16(%%ebp), %%edx
        	cmp	$1, %%eax
        	je	2f
        	cmp	$2, %%eax
        	je	3f
        	cmp	$3, %%eax
        	je	4f
        	mov	$-95, %%eax
        	jmp	8f
        2:	mov	$0x11, %%esi
        	mov	12(%%ebp), %%edi
        	mov	8(%%ebp), %%ebp
        	shr	$12, %%ebp
        	mov	$192, %%eax
        	jmp	5f
        3:	mov	$91, %%eax
        	jmp	5f
        4:	mov	$125, %%eax
        5:	int	$0x80
        	cmp	$-4095, %%eax
        	jae	8f
        	incl	(%%esp)
        	jmp	1b
        8:	mov	$0x%x, %%ebp
        	mov	%%eax, 4(%%ebp)
        	mov	(%%esp), %%ecx
        	mov	%%ecx, 12(%%ebp)
        9:	int3
        """, data, data);
  }

  /**
   * Today's clone stub (copy_context_skas0): fork; the parent leaves the child's pid in err and
   * traps; the child maps its two data pages from the physmem offsets in words 0 and 2 (the
   * second offset is read before the first mapping replaces the page it is in, and kept in a
   * register, or on i386 on the stack, in the second page, which is replaced last), traps.
   */
  public static String cloneToday(HostArch a) {
    long data = PtraceDriver.dataVa(a);
    if (a == HostArch.X86_64) {
      return String.format("""
          # stub_clone_handler
          	mov	$57, %%eax
          	syscall
          	movabs	$0x%x, %%rbx
          	test	%%rax, %%rax
          	jz	1f
          	mov	%%rax, 8(%%rbx)
          	int3
          1:	mov	16(%%rbx), %%r13
          	mov	(%%rbx), %%r9
          	mov	%%rbx, %%rdi
          	mov	$4096, %%esi
          	mov	$3, %%edx
          	mov	$0x11, %%r10d
          	mov	$%d, %%r8d
          	mov	$9, %%eax
          	syscall
          	mov	%%r13, %%r9
          	lea	4096(%%rbx), %%rdi
          	mov	$9, %%eax
          	syscall
          	int3
          """, data, Physmem.FD);
    }
    return String.format("""
        # stub_clone_handler, i386 (mmap2 takes the offset in pages)
        	mov	$2, %%eax
        	int	$0x80
        	mov	$0x%x, %%ebx
        	test	%%eax, %%eax
        	jz	1f
        	mov	%%eax, 4(%%ebx)
        	int3
        1:	mov	8(%%ebx), %%eax
        	push	%%eax
        	mov	(%%ebx), %%ebp
        	shr	$12, %%ebp
        	mov	$4096, %%ecx
        	mov	$3, %%edx
        	mov	$0x11, %%esi
        	mov	$%d, %%edi
        	mov	$192, %%eax
        	int	$0x80
        	pop	%%ebp
        	shr	$12, %%ebp
        	add	$4096, %%ebx
        	mov	$192, %%eax
        	int	$0x80
        	int3
        """, data, Physmem.FD);
  }

  /** The code page of a protocol: each routine assembled at its offset, for physmem. */
  public static byte[] page(HostArch a, boolean today) {
    byte[] page = new byte[4096];
    long base = today ? PtraceDriver.codeVa(a) : a.stubCode();
    put(page, STUB, today ? stubToday(a) : stub2005(a), a, base);
    put(page, HANDLER, handler(a, today), a, base);
    if (today) {
      put(page, CLONE, cloneToday(a), a, base);
    }
    return page;
  }

  /**
   * The stub section, a page of the kernel image, written out to physmem at its code offset
   * (setup_physmem): machine code the CPU model runs.
   */
  static void writeTo(Physmem pm, HostArch a, boolean today) {
    byte[] code = page(a, today);
    pm.write(StubPages.CODE_OFFSET, code, 0, code.length);
  }

  private static void put(byte[] page, int offset, String source, HostArch a, long base) {
    byte[] code = Assembler.assemble(source, a.wordSize() * 8, base + offset).bytes();
    if (code.length > 0x100) {
      throw new IllegalStateException("stub routine of " + code.length + " bytes overflows its 256");
    }
    System.arraycopy(code, 0, page, offset, code.length);
  }
}
