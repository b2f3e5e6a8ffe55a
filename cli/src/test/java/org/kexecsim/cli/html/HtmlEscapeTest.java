package org.kexecsim.cli.html;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The escapes every page relies on, without a browser (HtmlPagesBrowserTest checks them in one). */
class HtmlEscapeTest {
  private static final String HOSTILE = "<img src=x onerror=alert(1)>\"'&amp;</script><!--\u2028\0";

  @Test
  void textAndAttributesCarryNoMarkup() {
    String html = new Html().raw("<p").attr("title", HOSTILE).raw(">").text(HOSTILE).raw("</p>").toString();
    assertEquals("<p title=\"&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;amp;&lt;/script&gt;&lt;!--\u2028\uFFFD\">"
        + "&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;amp;&lt;/script&gt;&lt;!--\u2028\uFFFD</p>", html);
  }

  @Test
  void scriptDataKeepsItsValueAndNeverClosesTheElement() throws Exception {
    String json = Html.scriptSafeJson(Map.of("s", HOSTILE));
    assertFalse(json.contains("<") || json.contains(">") || json.contains("&") || json.contains("\u2028"), json);
    assertEquals(HOSTILE, new ObjectMapper().readTree(json).get("s").asText());
  }
}
