package org.kexecsim.cli.html;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * An HTML document under construction. Every piece of text that is not markup goes through
 * {@link #text} or {@link #attr}, which escape it (HTML5 §13.1.2.6: '&amp;' and '&lt;' in text,
 * also '&gt;', '"' and '\'' so the same escape is safe in quoted attributes); data for the scripts
 * goes through {@link #json}, which keeps a string from closing the script element.
 */
public final class Html {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private final StringBuilder sb = new StringBuilder(1 << 16);

  /** Appends markup the caller wrote itself (never data). */
  public Html raw(String markup) {
    sb.append(markup);
    return this;
  }

  /** Appends escaped text. */
  public Html text(Object value) {
    escapeInto(sb, String.valueOf(value));
    return this;
  }

  /** Appends {@code name="value"} with a leading space, the value escaped. */
  public Html attr(String name, Object value) {
    sb.append(' ').append(name).append("=\"");
    escapeInto(sb, String.valueOf(value));
    sb.append('"');
    return this;
  }

  /** {@code <tag class="cls">text</tag>}. */
  public Html el(String tag, String cls, Object text) {
    sb.append('<').append(tag);
    if (cls != null) {
      attr("class", cls);
    }
    sb.append('>');
    text(text);
    sb.append("</").append(tag).append('>');
    return this;
  }

  /** A {@code <script type="application/json">} element holding {@code value} as JSON. */
  public Html json(String id, Object value) {
    sb.append("<script type=\"application/json\"");
    attr("id", id);
    sb.append('>').append(scriptSafeJson(value)).append("</script>\n");
    return this;
  }

  @Override
  public String toString() {
    return sb.toString();
  }

  private static void escapeInto(StringBuilder b, String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        case '\0' -> b.append('\uFFFD'); // a NUL is a parse error in HTML text
        default -> b.append(c);
      }
    }
  }

  /**
   * JSON that cannot end the script element early or open a comment in it (HTML5 §4.12.1.3):
   * '&lt;', '&gt;' and '&amp;' only occur inside JSON strings, where their \\u escapes mean the same;
   * U+2028/2029 likewise, for older script parsers.
   */
  static String scriptSafeJson(Object value) {
    String s;
    try {
      s = MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize page data", e);
    }
    StringBuilder b = new StringBuilder(s.length() + 64);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> b.append("\\u003c");
        case '>' -> b.append("\\u003e");
        case '&' -> b.append("\\u0026");
        case '\u2028' -> b.append("\\u2028");
        case '\u2029' -> b.append("\\u2029");
        default -> b.append(c);
      }
    }
    return b.toString();
  }
}
