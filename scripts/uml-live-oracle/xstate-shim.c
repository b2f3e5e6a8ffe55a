/* LD_PRELOAD shim for Debian 6.1 linux.uml on hosts whose xstate is larger than UML's buffer (AMX):
 * the host refuses PTRACE_SETREGSET NT_X86_XSTATE unless the size is the full one (EFAULT,
 * "ptrace set fp regs failed, errno = 14"). It keeps the last full GETREGSET and sends UML's bytes
 * over it, so UML makes exactly the ptrace calls it would: the counts strace sees do not change. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <stdarg.h>
static unsigned char full[65536];
static size_t fullLen;
typedef long (*ptrace_fn)(int, ...);
long ptrace(enum __ptrace_request req, ...) {
  va_list ap; va_start(ap, req);
  pid_t pid = va_arg(ap, pid_t); void *addr = va_arg(ap, void *); void *data = va_arg(ap, void *);
  va_end(ap);
  static ptrace_fn real; if (!real) real = (ptrace_fn) dlsym(RTLD_NEXT, "ptrace");
  if ((req == PTRACE_GETREGSET || req == PTRACE_SETREGSET) && (long) addr == NT_X86_XSTATE) {
    struct iovec *io = data;
    struct iovec big = {full, sizeof full};
    if (req == PTRACE_GETREGSET) {
      long r = real(req, pid, addr, &big);
      if (r == 0) { fullLen = big.iov_len; size_t n = io->iov_len < fullLen ? io->iov_len : fullLen; memcpy(io->iov_base, full, n); io->iov_len = n; }
      return r;
    }
    if (fullLen > io->iov_len) { memcpy(full, io->iov_base, io->iov_len); big.iov_len = fullLen; return real(req, pid, addr, &big); }
  }
  return real(req, pid, addr, data);
}
