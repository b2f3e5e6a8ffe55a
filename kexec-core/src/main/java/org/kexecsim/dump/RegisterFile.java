package org.kexecsim.dump;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.OptionalLong;

/** An immutable set of register values; registers a note does not carry are absent, not zero. */
public final class RegisterFile {
  private static final Register[] ALL = Register.values();
  public static final RegisterFile EMPTY = new RegisterFile(new long[ALL.length], new boolean[ALL.length]);

  private final long[] values;
  private final boolean[] present;

  private RegisterFile(long[] values, boolean[] present) {
    this.values = values;
    this.present = present;
  }

  public static RegisterFile of(Map<Register, Long> values) {
    RegisterFile r = EMPTY;
    for (Map.Entry<Register, Long> e : values.entrySet()) {
      r = r.with(e.getKey(), e.getValue());
    }
    return r;
  }

  public RegisterFile with(Register register, long value) {
    long[] v = values.clone();
    boolean[] p = present.clone();
    v[register.ordinal()] = value;
    p[register.ordinal()] = true;
    return new RegisterFile(v, p);
  }

  public OptionalLong get(Register register) {
    return present[register.ordinal()] ? OptionalLong.of(values[register.ordinal()]) : OptionalLong.empty();
  }

  /** The value, or 0 when the register is absent: what a writer puts in a field it must fill. */
  public long getOrZero(Register register) {
    return values[register.ordinal()];
  }

  public boolean has(Register register) {
    return present[register.ordinal()];
  }

  /** The present registers in enum order. */
  public Map<Register, Long> asMap() {
    Map<Register, Long> m = new EnumMap<>(Register.class);
    for (Register r : ALL) {
      if (present[r.ordinal()]) {
        m.put(r, values[r.ordinal()]);
      }
    }
    return m;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RegisterFile r && Arrays.equals(values, r.values) && Arrays.equals(present, r.present);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(values) * 31 + Arrays.hashCode(present);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{");
    asMap().forEach((k, v) -> sb.append(sb.length() > 1 ? ", " : "").append(k.name().toLowerCase(java.util.Locale.ROOT)).append("=0x").append(Long.toHexString(v)));
    return sb.append('}').toString();
  }
}
