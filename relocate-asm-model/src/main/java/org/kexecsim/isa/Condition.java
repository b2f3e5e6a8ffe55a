package org.kexecsim.isa;

/** Jcc conditions in encoding order (the low nibble of 7x / 0F 8x; SDM Vol. 1 Appendix B). */
public enum Condition {
  O, NO, B, AE, E, NE, BE, A, S, NS, P, NP, L, GE, LE, G;

  public String suffix() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** AT&T spellings GNU as accepts for each condition. */
  public static Condition parse(String suffix) {
    return switch (suffix) {
      case "o" -> O;
      case "no" -> NO;
      case "b", "c", "nae" -> B;
      case "ae", "nc", "nb" -> AE;
      case "e", "z" -> E;
      case "ne", "nz" -> NE;
      case "be", "na" -> BE;
      case "a", "nbe" -> A;
      case "s" -> S;
      case "ns" -> NS;
      case "p", "pe" -> P;
      case "np", "po" -> NP;
      case "l", "nge" -> L;
      case "ge", "nl" -> GE;
      case "le", "ng" -> LE;
      case "g", "nle" -> G;
      default -> null;
    };
  }
}
