package org.kexecsim.analyzer.checksum;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * One streamed SHA-256 of an image, fed segment by segment without copies where it can be.
 *
 * <p>OpenSSL's libcrypto (EVP_Digest*, a maintained library every Debian system carries) hashes
 * a mapped segment in place at the speed of {@code openssl dgst}; the JDK's MessageDigest has an
 * SHA-NI intrinsic too, but it takes arrays only (a direct buffer is copied 4 KiB at a time) and
 * measured about 0.6-0.8x libcrypto's speed on this project's machine. Where libcrypto cannot be
 * loaded (another OS, native access refused) the JDK digest serves: same bytes, same digest.
 */
sealed interface Sha256Stream extends AutoCloseable {
  void update(MemorySegment bytes);

  /** The digest of everything updated so far; the stream is then spent. */
  byte[] finish();

  @Override
  void close();

  /** libcrypto's when it loads, the JDK's otherwise. */
  static Sha256Stream open() {
    return Libcrypto.open().map(s -> (Sha256Stream) s).orElseGet(Jdk::new);
  }

  /** java.security.MessageDigest. */
  final class Jdk implements Sha256Stream {
    private final MessageDigest sha = PageDigester.sha256OrThrow();

    @Override
    public void update(MemorySegment bytes) {
      sha.update(bytes.asByteBuffer());
    }

    @Override
    public byte[] finish() {
      return sha.digest();
    }

    @Override
    public void close() {}
  }

  /** OpenSSL's EVP interface (openssl/evp.h, OpenSSL 1.1 and 3.x: EVP_MD_CTX_new, EVP_DigestInit_ex, ...). */
  final class Libcrypto implements Sha256Stream {
    private static final Handles HANDLES = Handles.load();
    /**
     * A mapped piece is copied through this cache-sized buffer first: hashing straight from a
     * file mapping measured 3.2 s of CPU for 3 GiB in the page cache, copying 256 KiB at a
     * time and hashing the copy 2.5 s, as {@code openssl dgst} (read(2) into a small buffer).
     */
    static final int STAGE = 256 << 10;
    private final MemorySegment ctx;
    private final Arena arena = Arena.ofConfined();
    private MemorySegment stage;
    private boolean spent;

    private Libcrypto(MemorySegment ctx) {
      this.ctx = ctx;
    }

    /** A fresh stream, or empty when libcrypto is not there. */
    static Optional<Libcrypto> open() {
      if (HANDLES == null) {
        return Optional.empty();
      }
      try {
        MemorySegment ctx = (MemorySegment) HANDLES.ctxNew.invokeExact();
        if (ctx.equals(MemorySegment.NULL)) {
          return Optional.empty();
        }
        MemorySegment md = (MemorySegment) HANDLES.sha256.invokeExact();
        if ((int) HANDLES.init.invokeExact(ctx, md, MemorySegment.NULL) != 1) {
          HANDLES.ctxFree.invokeExact(ctx);
          return Optional.empty();
        }
        return Optional.of(new Libcrypto(ctx));
      } catch (Throwable t) {
        return Optional.empty();
      }
    }

    @Override
    public void update(MemorySegment bytes) {
      if (!bytes.isNative()) {
        hash(bytes);
        return;
      }
      // a native segment may be a mapping of a file that shrinks meanwhile: the copy into the stage
      // turns that SIGBUS into the InternalError MappedFiles explains, inside libcrypto it would
      // kill the JVM

      if (stage == null) {
        stage = arena.allocate(STAGE, 4096);
      }
      for (long at = 0; at < bytes.byteSize(); at += STAGE) {
        long n = Math.min(STAGE, bytes.byteSize() - at);
        MemorySegment.copy(bytes, at, stage, 0, n);
        hash(stage.asSlice(0, n));
      }
    }

    private void hash(MemorySegment bytes) {
      try {
        // critical: no thread-state switch per call, and a heap segment (the shared zeros, a
        // decoded piece) is passed in place
        if ((int) HANDLES.update.invokeExact(ctx, bytes, bytes.byteSize()) != 1) {
          throw new IllegalStateException("libcrypto EVP_DigestUpdate failed");
        }
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Throwable t) {
        throw new IllegalStateException(t);
      }
    }

    @Override
    public byte[] finish() {
      if (spent) {
        throw new IllegalStateException("finish called twice");
      }
      spent = true;
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment out = arena.allocate(64);
        MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
        if ((int) HANDLES.finish.invokeExact(ctx, out, len) != 1 || len.get(ValueLayout.JAVA_INT, 0) != 32) {
          throw new IllegalStateException("libcrypto EVP_DigestFinal_ex failed");
        }
        return out.asSlice(0, 32).toArray(ValueLayout.JAVA_BYTE);
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Throwable t) {
        throw new IllegalStateException(t);
      }
    }

    @Override
    public void close() {
      try {
        HANDLES.ctxFree.invokeExact(ctx);
      } catch (Throwable t) {
        // freeing cannot fail in OpenSSL; nothing to report
      } finally {
        arena.close();
      }
    }

    private record Handles(MethodHandle ctxNew, MethodHandle sha256, MethodHandle init, MethodHandle update,
        MethodHandle finish, MethodHandle ctxFree) {
      static Handles load() {
        try {
          Linker linker = Linker.nativeLinker();
          SymbolLookup lib = openLibrary();
          if (lib == null) {
            return null;
          }
          var addr = ValueLayout.ADDRESS;
          var i32 = ValueLayout.JAVA_INT;
          MethodHandle ctxNew = linker.downcallHandle(lib.find("EVP_MD_CTX_new").orElseThrow(), FunctionDescriptor.of(addr));
          MethodHandle sha256 = linker.downcallHandle(lib.find("EVP_sha256").orElseThrow(), FunctionDescriptor.of(addr));
          MethodHandle init = linker.downcallHandle(lib.find("EVP_DigestInit_ex").orElseThrow(),
              FunctionDescriptor.of(i32, addr, addr, addr));
          MethodHandle update = linker.downcallHandle(lib.find("EVP_DigestUpdate").orElseThrow(),
              FunctionDescriptor.of(i32, addr, addr, ValueLayout.JAVA_LONG), Linker.Option.critical(true));
          MethodHandle finish = linker.downcallHandle(lib.find("EVP_DigestFinal_ex").orElseThrow(),
              FunctionDescriptor.of(i32, addr, addr, addr));
          MethodHandle ctxFree = linker.downcallHandle(lib.find("EVP_MD_CTX_free").orElseThrow(), FunctionDescriptor.ofVoid(addr));
          return new Handles(ctxNew, sha256, init, update, finish, ctxFree);
        } catch (RuntimeException | LinkageError e) {
          return null;
        }
      }

      private static SymbolLookup openLibrary() {
        for (String name : new String[] {"libcrypto.so.3", "libcrypto.so.1.1", "libcrypto.so"}) {
          try {
            return SymbolLookup.libraryLookup(name, Arena.global());
          } catch (IllegalArgumentException notThere) {
            // try the next soname
          }
        }
        return null;
      }
    }
  }
}
