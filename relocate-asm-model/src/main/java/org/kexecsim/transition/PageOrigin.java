package org.kexecsim.transition;

/** Where a design got a page it writes page-table entries into. */
public enum PageOrigin {
  /** kimage_alloc_control_pages(): inside the crash region for a crash image, clear of every destination otherwise. */
  CONTROL_PAGE("control page"),
  /** get_zeroed_page()/alloc_pages(): ordinary memory of the running kernel, outside the crash region. */
  KERNEL_PAGE("kernel page"),
  /** A static array in the kernel image's .bss. */
  KERNEL_IMAGE("kernel image .bss"),
  /** A table of the crashed kernel itself, written in place. */
  LIVE_TABLE("live page table");

  private final String text;

  PageOrigin(String text) {
    this.text = text;
  }

  public String text() {
    return text;
  }
}
