package org.kexecsim.uml.kernel;

/**
 * The host-facing half of the UML kernel, one per mode: how an mm gets a host address space, how
 * a flush reaches it, how a guest process is resumed and how its kernel entries come back. The
 * kernel's port: it lives with the kernel and the modes implement it (uml.mode), so the kernel
 * does not depend on the modes; {@code UmlMode.driver()} picks the implementation.
 */
public interface ModeDriver {
  /**
   * Whether the mode needs a host with the skas3 patch (/proc/mm, PTRACE_FAULTINFO,
   * PTRACE_SWITCH_MM); the kernel boots its host accordingly.
   */
  default boolean needsSkas3Host() {
    return false;
  }

  /** The host process the UML kernel runs as (tt's is its tracing thread). */
  default String kernelProcessName() {
    return "uml-kernel";
  }

  /**
   * Whether the guest kernel behaves as Linux 6.1 does (zero page, copy-on-write fork,
   * demand-paged exec, TLB flushes inside the kernel reaching the host at once) rather than as
   * the eager 2.6.13 model of the seed.
   */
  default boolean linux61() {
    return false;
  }

  /**
   * A TLB flush inside the kernel (ptep_clear_flush, unmap_region's tlb_finish_mmu): in 6.1
   * the host catches up with {@code mm} now, not at the next resume. Only called when
   * {@link #linux61()}.
   */
  default void flushNow(UmlKernel k, GuestMm mm) {}

  void boot(UmlKernel k);

  /** TASK_SIZE of guest processes. */
  long taskSize(UmlKernel k);

  /** init_new_context: a host address space for {@code mm} ({@code parent} on fork, else null). */
  void initContext(UmlKernel k, GuestMm mm, GuestMm parent);

  /** destroy_context: the host side of {@code mm} goes away. */
  void destroyContext(UmlKernel k, GuestMm mm);

  /**
   * Which host process runs {@code p} now that it is new or its mm changed (exec): by default
   * the one host process of its mm (switch_mm_skas: userspace_pid[0] becomes the mm's pid, and
   * on exec it changes underneath). skas3 runs every mm in one process.
   */
  default void attach(UmlKernel k, GuestProcess p) {
    p.setHostPid(p.mm().hostPid());
  }

  /**
   * The guest scheduler moves the CPU from {@code from} to {@code to}. By default nothing
   * happens on the host here: the next resume targets {@code to}'s host process (skas3 switches
   * its mm then); tt hands the host CPU over at once.
   */
  default void switchTo(UmlKernel k, GuestProcess from, GuestProcess to) {}

  /**
   * userspace(): brings the host up to date with {@code p}'s page tables, resumes it unless it
   * is already running, and returns its next kernel entry.
   */
  KernelEntry runUser(UmlKernel k, GuestProcess p);
}
