package org.kexecsim.isa;

/** The segment registers, in their encoding order (the reg field of MOV Sreg, SDM Vol. 2 §3.1.1.3). */
public enum Segment {
  ES(0x26),
  CS(0x2E),
  SS(0x36),
  DS(0x3E),
  FS(0x64),
  GS(0x65);

  private final int overridePrefix;

  Segment(int overridePrefix) {
    this.overridePrefix = overridePrefix;
  }

  public int overridePrefix() {
    return overridePrefix;
  }

  public String att() {
    return "%" + name().toLowerCase(java.util.Locale.ROOT);
  }

  public static Segment ofPrefix(int prefix) {
    for (Segment s : values()) {
      if (s.overridePrefix == prefix) {
        return s;
      }
    }
    return null;
  }
}
