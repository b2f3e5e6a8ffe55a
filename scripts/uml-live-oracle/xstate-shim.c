/* LD_PRELOAD shim for Debian 6.1 linux.uml on hosts whose xstate is larger than UML's buffer (AMX):
 * the host refuses PTRACE_SETREGSET NT_X86_XSTATE unless the size is the full one (EFAULT,
 * "ptrace set fp regs failed, errno = 14"). It keeps each child's last full GETREGSET (keyed by
 * pid) and sends UML's bytes over it, so UML makes exactly the ptrace calls it would: the counts
 * strace sees do not change. A child UML sets before it ever read it (a new process's first
 * resume) gets the most recent full state as the template for the part UML does not know.
 * Only static storage: inside UML, malloc is the guest kernel's allocator. Preload it into UML
 * only (strace -E LD_PRELOAD=...), never into strace. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <stdarg.h>
#define SLOTS 32
#define SLOT_BYTES 65536
static struct { pid_t pid; size_t len; unsigned long used; unsigned char bytes[SLOT_BYTES]; } slot[SLOTS];
static unsigned long clock_;
static int last = -1;
static unsigned char scratch[SLOT_BYTES];
static int find(pid_t pid) {
  for (int i = 0; i < SLOTS; i++) if (slot[i].len && slot[i].pid == pid) return i;
  return -1;
}
static int claim(pid_t pid) {
  int i = find(pid);
  if (i >= 0) return i;
  int lru = 0;
  for (i = 0; i < SLOTS; i++) { if (!slot[i].len) return i; if (slot[i].used < slot[lru].used) lru = i; }
  return lru;
}
typedef long (*ptrace_fn)(int, ...);
long ptrace(enum __ptrace_request req, ...) {
  va_list ap; va_start(ap, req);
  pid_t pid = va_arg(ap, pid_t); void *addr = va_arg(ap, void *); void *data = va_arg(ap, void *);
  va_end(ap);
  static ptrace_fn real; if (!real) real = (ptrace_fn) dlsym(RTLD_NEXT, "ptrace");
  if ((req == PTRACE_GETREGSET || req == PTRACE_SETREGSET) && (long) addr == NT_X86_XSTATE) {
    struct iovec *io = data;
    if (req == PTRACE_GETREGSET) {
      struct iovec big = {scratch, sizeof scratch};
      long r = real(req, pid, addr, &big);
      if (r == 0) {
        int i = claim(pid);
        slot[i].pid = pid; slot[i].len = big.iov_len; slot[i].used = ++clock_; last = i;
        memcpy(slot[i].bytes, scratch, big.iov_len);
        size_t n = io->iov_len < big.iov_len ? io->iov_len : big.iov_len;
        memcpy(io->iov_base, scratch, n); io->iov_len = n;
      }
      return r;
    }
    int i = find(pid);
    if (i < 0) i = last;
    if (i >= 0 && slot[i].len > io->iov_len) {
      memcpy(scratch, slot[i].bytes, slot[i].len);
      memcpy(scratch, io->iov_base, io->iov_len);
      struct iovec big = {scratch, slot[i].len};
      return real(req, pid, addr, &big);
    }
  }
  return real(req, pid, addr, data);
}
