package org.kexecsim.isa;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Labels, .set/.equ constants and local numeric labels, with what GNU as knows about each when
 * it parses a statement: a value depending on a label not yet fixed takes the 32-bit forms.
 *
 * <p>GNU as "frags" are runs of statements whose sizes are fixed at parse time; a relaxable
 * jump, an alignment or a section switch ends one. A difference of labels already defined in
 * the current frag is a constant when GNU as parses it, so it gets the short forms.
 */
final class SymbolTable {
  private final Map<String, Expr> constants = new HashMap<>();
  private final Map<String, Integer> localCounts = new HashMap<>();
  private final Set<String> labelNames = new HashSet<>();
  private final Map<String, int[]> labelFrags = new HashMap<>();
  /** .set/.equ symbols whose value GNU as fixed when it parsed them (constants, or in-frag label differences). */
  private final Set<String> fixedConstants = new HashSet<>();
  /** Label addresses, as the current layout pass has them. */
  final Map<String, Long> labels = new HashMap<>();
  private int frag;
  /** Each constant's own tree depth, what expanding it costs against {@link #EXPANSION_BUDGET}. */
  private final Map<String, Integer> constantDepths = new HashMap<>();
  /**
   * How deep a value may nest once .set/.equ symbols are expanded. GNU as resolves much deeper
   * chains, but the evaluator here recurses; a cycle ({@code .equ a, a+1}) is an endless chain.
   */
  static final int EXPANSION_BUDGET = 500;
  private int expansion;
  /** The source line being processed, for the "nests too deep" error. */
  private int line;

  void atLine(int line) {
    this.line = line;
  }

  /**
   * Runs {@code walk} over the definition of constant {@code sym} during a walk of an expression;
   * fails with one line past the budget (or on a cycle).
   */
  private <T> T expanding(Expr.Sym sym, java.util.function.Supplier<T> walk) {
    String name = sym.name();
    expansion += constantDepths.getOrDefault(name, 1);
    if (expansion > EXPANSION_BUDGET) {
      expansion = 0;
      throw new AssemblyException(line, sym.column(), "symbol " + name
          + " refers to itself or nests .set/.equ definitions deeper than " + EXPANSION_BUDGET + " levels");
    }
    try {
      return walk.get();
    } finally {
      expansion = Math.max(0, expansion - constantDepths.getOrDefault(name, 1));
    }
  }

  int frag() {
    return frag;
  }

  void endFrag() {
    frag++;
  }

  Expr constant(String name) {
    return constants.get(name);
  }

  /** Defines a .set/.equ/= symbol at statement {@code stmtIndex}. */
  void defineConstant(String name, Expr e, int stmtIndex, int line) {
    atLine(line);
    List<String> names = new ArrayList<>();
    collectLabels(e, names);
    constants.put(name, e);
    constantDepths.put(name, ExpressionParser.depth(e));
    if (names.isEmpty() || fixedAtParse(names, frag, stmtIndex)) {
      fixedConstants.add(name);
    } else {
      fixedConstants.remove(name);
    }
  }

  /** Defines a label at statement {@code stmtIndex}; returns its internal name (local labels get an instance number). */
  String defineLabel(String name, int line, int col, int stmtIndex) {
    if (Character.isDigit(name.charAt(0))) {
      if (!name.chars().allMatch(Character::isDigit)) {
        throw new AssemblyException(line, col, "bad local label " + name);
      }
      int n = localCounts.merge(name, 1, Integer::sum);
      name = localName(name, n);
    } else if (!labelNames.add(name) || constants.containsKey(name)) {
      throw new AssemblyException(line, col, "symbol " + name + " is already defined");
    }
    labelFrags.put(name, new int[] {frag, stmtIndex});
    return name;
  }

  /** The internal name that {@code Nb} (backward) or {@code Nf} (forward) refers to here, or null if there is no earlier one. */
  String localReference(String digits, boolean backward) {
    int seen = localCounts.getOrDefault(digits, 0);
    int instance = backward ? seen : seen + 1;
    return instance == 0 ? null : localName(digits, instance);
  }

  static String localName(String digits, int instance) {
    return digits + "\u0002" + instance;
  }

  static boolean isLocal(String name) {
    return name.indexOf('\u0002') >= 0;
  }

  /**
   * Whether GNU as knows the value when it parses the statement: a difference of labels all
   * defined earlier, all in one frag ({@code .} being in the statement's frag); a single label
   * is an address, never a constant.
   */
  boolean fixedAtParse(List<String> names, int stmtFrag, int stmtIndex) {
    if (names.size() < 2) {
      return false;
    }
    int common = -1;
    for (String n : names) {
      int f;
      if (n.equals(".")) {
        f = stmtFrag;
      } else {
        int[] at = labelFrags.get(n);
        if (at == null || at[1] >= stmtIndex) {
          return false;
        }
        f = at[0];
      }
      if (common >= 0 && f != common) {
        return false;
      }
      common = f;
    }
    return true;
  }

  /** The labels (not yet fixed constants) an expression depends on. */
  void collectLabels(Expr e, List<String> out) {
    switch (e) {
      case Expr.Num n -> {}
      case Expr.Sym sym -> {
        Expr c = constants.get(sym.name());
        if (fixedConstants.contains(sym.name())) {
          return; // already a number for GNU as
        }
        if (c != null) {
          expanding(sym, () -> {
            collectLabels(c, out);
            return null;
          });
        } else {
          out.add(sym.name());
        }
      }
      case Expr.Unary u -> collectLabels(u.operand(), out);
      case Expr.Binary b -> {
        collectLabels(b.left(), out);
        collectLabels(b.right(), out);
      }
    }
  }

  /** Whether the value depends on a label's address. */
  boolean usesLabel(Expr e) {
    return switch (e) {
      case Expr.Num n -> false;
      case Expr.Sym s -> {
        Expr c = constants.get(s.name());
        if (c == null) {
          yield true;
        }
        yield expanding(s, () -> usesLabel(c));
      }
      case Expr.Unary u -> usesLabel(u.operand());
      case Expr.Binary b -> usesLabel(b.left()) || usesLabel(b.right());
    };
  }

  /** Whether every symbol of {@code e} has a value in the current pass. */
  boolean allDefined(Expr e) {
    return switch (e) {
      case Expr.Num n -> true;
      case Expr.Sym s -> {
        if (s.name().equals(".") || labels.containsKey(s.name())) {
          yield true;
        }
        Expr c = constants.get(s.name());
        if (c == null) {
          yield false;
        }
        yield expanding(s, () -> allDefined(c));
      }
      case Expr.Unary u -> allDefined(u.operand());
      case Expr.Binary b -> allDefined(b.left()) && allDefined(b.right());
    };
  }

  /** A symbol's value for statement {@code line} at address {@code here}; 0 for a forward reference outside the strict pass. */
  long lookup(Expr.Sym sym, int line, long here, boolean strict) {
    String name = sym.name();
    if (name.equals(".")) {
      return here;
    }
    Expr c = constants.get(name);
    if (c != null) {
      atLine(line);
      return expanding(sym, () -> c.eval(s -> lookup(s, line, here, strict)));
    }
    Long v = labels.get(name);
    if (v != null) {
      return v;
    }
    if (strict) {
      String shown = isLocal(name) ? "local label " + name.substring(0, name.indexOf('\u0002')) + "f" : name;
      throw new AssemblyException(line, sym.column(), "undefined symbol " + shown);
    }
    return 0; // a forward reference in an early pass; the next pass sees its address
  }
}
