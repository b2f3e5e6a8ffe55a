package org.kexecsim.uml.smp;

/** Where the register sets the skas0 stub pops live. */
public enum BatchPlacement {
  /** In the stub data page, writable by the process because signal frames go there (skas0, 2005). */
  DATA_PAGE("data-page"),
  /**
   * In a per-mm page mapped read-only next to the stub code (seed 003: "move the data to the code
   * page"; gVisor's sentry message page is read-only to the stub for the same reason).
   */
  CODE_PAGE("code-page");

  private final String cliName;

  BatchPlacement(String cliName) {
    this.cliName = cliName;
  }

  public String cliName() {
    return cliName;
  }

  public static BatchPlacement parse(String s) {
    for (BatchPlacement p : values()) {
      if (p.cliName.equals(s)) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown batch placement '" + s + "': expected data-page or code-page");
  }
}
