package org.kexecsim.isa;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Source text to statements: comments (# and C's), ';' separators, the "rep" prefix word. */
final class SourceText {
  private SourceText() {}

  static boolean isRep(String word) {
    String w = word.toLowerCase(Locale.ROOT);
    return w.equals("rep") || w.equals("repz") || w.equals("repe");
  }

  /**
   * C comments that survive cpp (it keeps them with -C, and a .S passed straight in has them):
   * GNU as treats them as white space. Newlines inside are kept so line numbers stay right.
   */
  static String blankCComments(String source) {
    if (source.indexOf("/*") < 0) {
      return source;
    }
    StringBuilder out = new StringBuilder(source.length());
    int i = 0;
    while (i < source.length()) {
      int open = source.indexOf("/*", i);
      if (open < 0) {
        out.append(source, i, source.length());
        break;
      }
      out.append(source, i, open);
      int close = source.indexOf("*/", open + 2);
      int end = close < 0 ? source.length() : close + 2;
      for (int k = open; k < end; k++) {
        out.append(source.charAt(k) == '\n' ? '\n' : ' ');
      }
      i = end;
    }
    return out.toString();
  }

  static String stripComment(String line) {
    int hash = line.indexOf('#');
    return hash >= 0 ? line.substring(0, hash) : line;
  }

  static List<String> splitStatements(String line) {
    List<String> out = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < line.length(); i++) {
      if (line.charAt(i) == ';') {
        out.add(line.substring(start, i));
        start = i + 1;
      }
    }
    out.add(line.substring(start));
    return out;
  }
}
