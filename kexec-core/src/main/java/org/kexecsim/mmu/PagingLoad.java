package org.kexecsim.mmu;

import java.util.function.Function;
import org.kexecsim.memory.PhysicalAccessException;
import org.kexecsim.memory.PhysicalMemory;

/**
 * Loading CR0, CR3, CR4 and EFER as one step and getting what the MMU walks with: the paging
 * state, or the fault the load raises (a PAE PDPTE with reserved bits: #GP, SDM §4.4.1). The one
 * place the control-register check is turned into a {@link PagingState}.
 */
public sealed interface PagingLoad {

  /** The registers load; {@code state} is what translations walk. */
  record Loaded(PagingState state) implements PagingLoad {}

  /** The CPU refuses the registers. */
  record Refused(ControlWrite.Refused fault) implements PagingLoad {}

  /**
   * PAE: CR3 points the PDPT at {@code physical}, outside the memory's RAM, so its four entries
   * cannot be loaded (the image's failure, not the CPU's). {@code reason} is the memory's sentence.
   */
  record Unreadable(long physical, String reason) implements PagingLoad {}

  static PagingLoad of(long cr0, long cr3, long cr4, long efer, PhysicalMemory memory, CpuFeatures features,
      ReservedBitPolicy policy) {
    ControlWrite w;
    try {
      w = ControlRegisterRules.establish(cr0, cr3, cr4, efer, memory, features, policy);
    } catch (PhysicalAccessException e) { // PAE: loading CR3 reads the four PDPTEs
      return new Unreadable(e.physical(), e.getMessage());
    }
    return switch (w) {
      case ControlWrite.Accepted(ControlState s) -> new Loaded(PagingState.of(s, features, policy));
      case ControlWrite.Refused r -> new Refused(r);
    };
  }

  /** Reserved bits fault (a CPU's view), as {@link ControlRegisterRules#establish(long, long, long, long, PhysicalMemory, CpuFeatures)}. */
  static PagingLoad of(long cr0, long cr3, long cr4, long efer, PhysicalMemory memory, CpuFeatures features) {
    return of(cr0, cr3, cr4, efer, memory, features, ReservedBitPolicy.FAULT);
  }

  /**
   * The state, or {@code failure}'s exception when the load was refused, for registers that must
   * load (a simulated machine's own); a PDPT outside RAM is then the memory's exception again.
   */
  default PagingState orThrow(Function<ControlWrite.Refused, ? extends RuntimeException> failure) {
    return switch (this) {
      case Loaded(PagingState s) -> s;
      case Refused(ControlWrite.Refused r) -> throw failure.apply(r);
      case Unreadable(long physical, String reason) -> throw new PhysicalAccessException(physical, reason);
    };
  }
}
