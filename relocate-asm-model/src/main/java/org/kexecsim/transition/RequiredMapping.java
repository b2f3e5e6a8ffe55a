package org.kexecsim.transition;

/**
 * A translation the transition code needs: {@code virtual} must reach {@code physical} with
 * execute rights under the table rooted at {@code root}, or the next instruction fetch faults.
 */
public record RequiredMapping(String name, long root, long virtual, long physical) {}
