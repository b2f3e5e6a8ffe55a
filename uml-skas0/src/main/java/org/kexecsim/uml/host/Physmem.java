package org.kexecsim.uml.host;

import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamMap;

/**
 * UML's physical memory: a file (arch/um/kernel/physmem.c, the "vm file") whose pages live in
 * host RAM at {@code [base, base+size)}. The UML kernel sees offsets in the file as its physical
 * addresses, so guest page tables built over this view hold guest-physical addresses, and a host
 * mmap of the file at offset {@code o} maps host frame {@code base + o}.
 */
public final class Physmem implements PhysicalMemory {
  /** The descriptor of the physmem file in every host process UML creates. */
  public static final int FD = 3;

  private final PhysicalMemory host;
  private final long base;
  private final long size;
  private final RamMap map;

  public Physmem(PhysicalMemory host, long base, long size) {
    this.host = host;
    this.base = base;
    this.size = size;
    this.map = RamMap.ofSize(size);
  }

  public long base() {
    return base;
  }

  public long size() {
    return size;
  }

  /** The host physical address of file offset {@code offset}. */
  public long hostPhysical(long offset) {
    if (offset < 0 || offset >= size) {
      throw new IllegalArgumentException(String.format("offset 0x%x is outside physmem of 0x%x bytes", offset, size));
    }
    return base + offset;
  }

  @Override
  public RamMap ramMap() {
    return map;
  }

  @Override
  public int readU8(long p) {
    return host.readU8(base + p);
  }

  @Override
  public int readU16(long p) {
    return host.readU16(base + p);
  }

  @Override
  public long readU32(long p) {
    return host.readU32(base + p);
  }

  @Override
  public long readU64(long p) {
    return host.readU64(base + p);
  }

  @Override
  public void writeU8(long p, int v) {
    host.writeU8(base + p, v);
  }

  @Override
  public void writeU16(long p, int v) {
    host.writeU16(base + p, v);
  }

  @Override
  public void writeU32(long p, long v) {
    host.writeU32(base + p, v);
  }

  @Override
  public void writeU64(long p, long v) {
    host.writeU64(base + p, v);
  }

  @Override
  public void read(long p, byte[] dst, int off, int len) {
    host.read(base + p, dst, off, len);
  }

  @Override
  public void write(long p, byte[] src, int off, int len) {
    host.write(base + p, src, off, len);
  }

  @Override
  public void copyPage(long src, long dst) {
    host.copyPage(base + src, base + dst);
  }
}
