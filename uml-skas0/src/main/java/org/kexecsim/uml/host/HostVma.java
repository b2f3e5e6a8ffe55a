package org.kexecsim.uml.host;

/**
 * One host mapping: {@code [start, end)} of the physmem file mapped MAP_SHARED|MAP_FIXED, so
 * {@code start} maps host physical {@code physical} and the rest follows contiguously.
 */
public record HostVma(long start, long end, int prot, long physical) {
  public long physicalAt(long va) {
    return physical + (va - start);
  }

  HostVma slice(long from, long to) {
    return new HostVma(from, to, prot, physicalAt(from));
  }

  HostVma withProt(int newProt) {
    return new HostVma(start, end, newProt, physical);
  }
}
