package org.kexecsim.robustness;

/**
 * What the sources say a cell should do.
 *
 * @param survives whether the design gets through: enters the new kernel, or for a tampered
 *     image, purgatory refuses it instead of booting it
 * @param source the kernel file, thread message or SDM section that implies it
 */
public record Expectation(boolean survives, String source) {}
