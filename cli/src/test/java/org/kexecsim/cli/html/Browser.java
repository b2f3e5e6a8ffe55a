package org.kexecsim.cli.html;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * Debian's headless Chromium driven through chromedriver, one per test class (the machine is
 * small): opens a page from disk, waits for page.js to finish, and hands back what the browser
 * logged at SEVERE (uncaught errors, console.error, failed loads).
 */
public final class Browser implements AutoCloseable {
  static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("KSIM_CHROMIUM", "/usr/bin/chromium"));
  static final Path CHROMEDRIVER = Path.of(System.getenv().getOrDefault("KSIM_CHROMEDRIVER", "/usr/bin/chromedriver"));

  private final ChromeDriver driver;

  private Browser(ChromeDriver driver) {
    this.driver = driver;
  }

  /** Why the browser tests cannot run here, if they cannot. */
  public static Optional<String> missing() {
    if (!Files.isExecutable(CHROMIUM)) {
      return Optional.of(CHROMIUM + " is not installed (Debian package chromium)");
    }
    if (!Files.isExecutable(CHROMEDRIVER)) {
      return Optional.of(CHROMEDRIVER + " is not installed (Debian package chromium-driver)");
    }
    return Optional.empty();
  }

  /** A browser for a test class, or the class skipped saying what is missing. */
  public static Browser startOrSkip() {
    org.junit.jupiter.api.Assumptions.assumeTrue(missing().isEmpty(), () -> "skipped: " + missing().orElse(""));
    return start();
  }

  public static Browser start() {
    // Selenium looks for DevTools bindings of this Chromium's version and says so on stderr; not used here
    java.util.logging.Logger.getLogger("org.openqa.selenium").setLevel(Level.SEVERE);
    ChromeOptions o = new ChromeOptions();
    o.setBinary(CHROMIUM.toFile());
    // root in CI: Chromium's sandbox needs an unprivileged user
    o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1100,820",
        "--hide-scrollbars", "--disable-extensions", "--no-first-run");
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    o.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
    return new Browser(new ChromeDriver(service, o));
  }

  public WebDriver driver() {
    return driver;
  }

  public Object js(String script, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(script, args);
  }

  /** Loads {@code page} and waits until its script has run; returns the SEVERE log lines. */
  public List<String> open(Path page) {
    driver.manage().logs().get(LogType.BROWSER); // drop what an earlier page logged
    driver.get(page.toUri().toString());
    waitFor("return document.body && document.body.getAttribute('data-ready') === '1'", Duration.ofSeconds(60));
    return severe();
  }

  /** Polls {@code script} until it returns true; fails after {@code limit}. */
  public void waitFor(String script, Duration limit) {
    long end = System.nanoTime() + limit.toNanos();
    while (!Boolean.TRUE.equals(js(script))) {
      if (System.nanoTime() > end) {
        throw new AssertionError("page not ready after " + limit + ": " + script + "; browser log " + severe());
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  public List<String> severe() {
    return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
        .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue()).map(LogEntry::toString).toList();
  }

  /**
   * The viewport as a PNG under target/html-screens, and under the directory named by the
   * system property kexecsim.screenshots when set (scripts/html-screenshots.sh: docs/img).
   */
  public Path screenshot(String name) throws IOException {
    // the whole page from the top up to a README-sized height, then back to the usual window
    js("window.scrollTo(0, 0); document.getElementById('tip').style.display = 'none';");
    long height = ((Number) js("return document.documentElement.scrollHeight")).longValue();
    long chrome = ((Number) js("return window.outerHeight - window.innerHeight")).longValue(); // headless still has some
    driver.manage().window().setSize(new org.openqa.selenium.Dimension(1100, (int) (Math.min(Math.max(height, 400), 1400) + chrome)));
    byte[] png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES);
    driver.manage().window().setSize(new org.openqa.selenium.Dimension(1100, 820));
    Path dir = Path.of("target", "html-screens");
    Files.createDirectories(dir);
    Path out = dir.resolve(name + ".png");
    Files.write(out, png);
    String extra = System.getProperty("kexecsim.screenshots");
    if (extra != null && !extra.isBlank()) {
      Path d = Path.of(extra);
      Files.createDirectories(d);
      Files.write(d.resolve(name + ".png"), png);
    }
    return out;
  }

  @Override
  public void close() {
    driver.quit();
  }
}
