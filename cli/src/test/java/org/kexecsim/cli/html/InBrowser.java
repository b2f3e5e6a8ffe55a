package org.kexecsim.cli.html;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * A test class whose tests drive one headless Chromium: started before them (or the class
 * skipped, saying what is missing) and closed after. Test classes run one at a time here.
 */
public abstract class InBrowser {
  protected static Browser browser;

  @BeforeAll
  static void startBrowser() {
    browser = Browser.startOrSkip();
  }

  @AfterAll
  static void stopBrowser() {
    if (browser != null) {
      browser.close();
      browser = null;
    }
  }
}
