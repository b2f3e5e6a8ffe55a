package org.kexecsim.analyzer.dmesg;

import java.util.OptionalLong;
import org.kexecsim.analyzer.AnalysisException;
import org.kexecsim.dump.VmcoreInfo;

/**
 * The VMCOREINFO entries a log reader needs, each required: a missing one is bad input naming
 * the entry, never a guessed layout.
 */
final class LogLayout {
  private final VmcoreInfo info;
  private final String image;

  LogLayout(VmcoreInfo info, String image) {
    this.info = info;
    this.image = image;
  }

  String image() {
    return image;
  }

  boolean hasSymbol(String name) {
    return info.symbol(name).isPresent();
  }

  long symbol(String name) {
    return required(info.symbol(name), "SYMBOL(" + name + ")");
  }

  long size(String struct) {
    return required(info.size(struct), "SIZE(" + struct + ")");
  }

  OptionalLong optionalSize(String struct) {
    return info.size(struct);
  }

  /** {@code member} as "struct.field". */
  long offset(String member) {
    return required(info.offset(member), "OFFSET(" + member + ")");
  }

  OptionalLong optionalOffset(String member) {
    return info.offset(member);
  }

  VmcoreInfo info() {
    return info;
  }

  private long required(OptionalLong v, String entry) {
    if (v.isEmpty()) {
      throw corrupt("VMCOREINFO has no " + entry + ", which reading the kernel log needs");
    }
    long x = v.getAsLong();
    // Every size and offset of these structures is small; a huge one is a corrupt note, and
    // would make address arithmetic wrap.
    if (!entry.startsWith("SYMBOL(") && (x < 0 || x > 1 << 20)) {
      throw corrupt("VMCOREINFO " + entry + "=" + Long.toUnsignedString(x) + " is not a plausible structure size or offset");
    }
    return x;
  }

  AnalysisException corrupt(String what) {
    return new AnalysisException(AnalysisException.Kind.BAD_INPUT, image + ": " + what);
  }
}
