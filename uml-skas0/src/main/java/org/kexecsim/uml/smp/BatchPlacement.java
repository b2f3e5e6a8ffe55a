package org.kexecsim.uml.smp;

import org.kexecsim.input.CliNamed;

/** Where the register sets the skas0 stub pops live. */
public enum BatchPlacement implements CliNamed {
  /** In the stub data page, writable by the process because signal frames go there (skas0, 2005). */
  DATA_PAGE,
  /**
   * In a per-mm page mapped read-only next to the stub code (seed 003: "move the data to the code
   * page"; gVisor's sentry message page is read-only to the stub for the same reason).
   */
  CODE_PAGE;

  public static BatchPlacement parse(String s) {
    return CliNamed.parse(BatchPlacement.class, "batch placement", s, IllegalArgumentException::new);
  }
}
