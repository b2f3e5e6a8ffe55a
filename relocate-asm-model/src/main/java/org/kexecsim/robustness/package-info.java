/**
 * The designs side by side under the faults a real crash brings: every design × arch run against
 * damage to the crashed kernel, NMIs and a tampered image, each cell judged against what the
 * kernel sources and the 2006 review imply ({@link org.kexecsim.robustness.Expectations}).
 */
package org.kexecsim.robustness;
