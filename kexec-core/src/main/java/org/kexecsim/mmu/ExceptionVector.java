package org.kexecsim.mmu;

/**
 * The exceptions this model raises, with their class for double-fault purposes (SDM Vol. 3A
 * §6.15, Tables 6-4 and 6-5).
 */
public enum ExceptionVector {
  DE(0, "#DE", Kind.CONTRIBUTORY, false),
  /** Vector 2: not masked by IF; benign for double-fault purposes (SDM §6.7.1, Table 6-4). */
  NMI(2, "NMI", Kind.BENIGN, false),
  BP(3, "#BP", Kind.BENIGN, false),
  UD(6, "#UD", Kind.BENIGN, false),
  DF(8, "#DF", Kind.DOUBLE_FAULT, true),
  TS(10, "#TS", Kind.CONTRIBUTORY, true),
  NP(11, "#NP", Kind.CONTRIBUTORY, true),
  SS(12, "#SS", Kind.CONTRIBUTORY, true),
  GP(13, "#GP", Kind.CONTRIBUTORY, true),
  PF(14, "#PF", Kind.PAGE_FAULT, true);

  /** How a second exception during delivery of this one is handled. */
  public enum Kind {
    BENIGN,
    CONTRIBUTORY,
    PAGE_FAULT,
    DOUBLE_FAULT
  }

  private final int number;
  private final String mnemonic;
  private final Kind kind;
  private final boolean pushesErrorCode;

  ExceptionVector(int number, String mnemonic, Kind kind, boolean pushesErrorCode) {
    this.number = number;
    this.mnemonic = mnemonic;
    this.kind = kind;
    this.pushesErrorCode = pushesErrorCode;
  }

  public int number() {
    return number;
  }

  public String mnemonic() {
    return mnemonic;
  }

  public Kind kind() {
    return kind;
  }

  public boolean pushesErrorCode() {
    return pushesErrorCode;
  }

  public static ExceptionVector ofNumber(int n) {
    for (ExceptionVector v : values()) {
      if (v.number == n) {
        return v;
      }
    }
    throw new IllegalArgumentException("vector " + n + " is not modelled");
  }
}
