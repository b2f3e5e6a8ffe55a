package org.kexecsim.uml.smp;

import java.util.ArrayDeque;
import java.util.List;
import org.kexecsim.uml.host.HostMachine;
import org.kexecsim.uml.host.HostProcess;

/**
 * A malicious guest thread (seed 003: "one thread of a process ... change the host system calls
 * being executed by another thread"): plain user-mode stores, each one instruction, through the
 * host MMU like any access of the process. A store that faults stops the thread with SIGSEGV.
 */
final class Forger implements GuestCode {
  /** One store: {@code bytes} at {@code address}, described as {@code what}. */
  record Store(long address, byte[] bytes, String what) {}

  private final ArrayDeque<Store> stores;

  Forger(List<Store> stores) {
    this.stores = new ArrayDeque<>(stores);
  }

  static Store word(long address, long value, int wordSize, String what) {
    byte[] b = new byte[wordSize];
    for (int i = 0; i < wordSize; i++) {
      b[i] = (byte) (value >>> (8 * i));
    }
    return new Store(address, b, String.format("%s := 0x%x", what, value));
  }

  @Override
  public String next(HostProcess p) {
    Store s = stores.peek();
    return s == null ? "nothing" : String.format("store %d bytes at 0x%x (%s)", s.bytes().length, s.address(), s.what());
  }

  @Override
  public boolean finished() {
    return stores.isEmpty();
  }

  @Override
  public boolean step(HostMachine host, HostProcess p) {
    Store s = stores.peek();
    if (s == null) {
      return false;
    }
    // one MOV of up to a word, or REP MOVSB to the thread's own stack: within one page either way
    long pa = host.userTranslate(p, s.address(), true);
    if (pa >= 0) {
      stores.poll();
      host.memory().write(pa, s.bytes(), 0, s.bytes().length);
    }
    return true;
  }
}
