package org.kexecsim.uml.cost;

/** What the ledger counts. Each is an event on the host that a real UML pays for. */
public enum Cost {
  /** A host system call other than ptrace: mmap/munmap/mprotect, kill, wait4, write to /proc/mm, clone... */
  HOST_SYSCALL("host syscalls"),
  /** A ptrace(2) call by the UML kernel or the tracing thread. */
  PTRACE("ptrace calls"),
  /** A wait4(2) by the UML kernel (or tracing thread) that returned a child's stop or death. */
  WAIT4("wait4 calls"),
  /** A signal generated on the host (by a fault or by kill). */
  SIGNAL("signals"),
  /** A signal delivered to a handler: the host builds a frame on the process's stack. */
  SIGNAL_HANDLER("signal handler runs"),
  /** The host CPU changes from one host process to another. */
  CONTEXT_SWITCH("context switches"),
  /** A handoff from the UML kernel (or tracing thread) to a child and back: one resume, one stop. */
  ROUND_TRIP("round trips"),
  /** A change applied to a host address space (one mmap, munmap or mprotect, however it got there). */
  HOST_MM_OP("host address-space ops"),
  /** A page fault of a guest process that the UML kernel handled. */
  GUEST_PAGE_FAULT("guest page faults");

  private final String label;

  Cost(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  /** The JSON / CLI key: lower-case with dashes. */
  public String key() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }
}
