// CLiburing: liburing for Swift, plus static-inline shims for what the Swift importer
// cannot see (function-like macros, IOSQE_* flags, GNU extensions the Glibc module hides).
#ifndef CLIBURING_H
#define CLIBURING_H

// liburing.h defines _XOPEN_SOURCE 500 and _GNU_SOURCE: the libc headers must come
// first, or clean builds fail on fd_set's `__fds_bits` (docs/ARCHITECTURE.md, "Importing liburing").
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <stdlib.h>
#include <linux/stat.h>
// swift-system's CSystem includes the kernel's <linux/io_uring.h>; liburing ships its own
// copy under the same include guard. Including the kernel's first makes both modules see
// one definition of io_uring_sqe (else: "rw_flags ... is not present in definition").
#include <linux/io_uring.h>

#include <liburing.h>

/// One reaped completion, copied out of the CQ ring.
typedef struct torus_cqe {
    uint64_t user_data;
    int32_t res;
    uint32_t flags;
} torus_cqe;

/// Copies up to `max` ready CQEs into `out` and advances the CQ head once
/// (the `io_uring_for_each_cqe` macro, which Swift cannot import).
static inline unsigned torus_reap_cqes(struct io_uring *ring, torus_cqe *out, unsigned max) {
    unsigned head;
    unsigned count = 0;
    struct io_uring_cqe *cqe;
    io_uring_for_each_cqe(ring, head, cqe) {
        if (count == max) break;
        out[count].user_data = cqe->user_data;
        out[count].res = cqe->res;
        out[count].flags = cqe->flags;
        count++;
    }
    if (count > 0) io_uring_cq_advance(ring, count);
    return count;
}

// IOSQE_* flags are enum-valued macros the importer rejects ("structure not supported"):
// the one Swift sets itself (buffer selection has its own shim below).
static const uint8_t TORUS_IOSQE_IO_LINK = IOSQE_IO_LINK;
static const uint8_t TORUS_IOSQE_CQE_SKIP_SUCCESS = IOSQE_CQE_SKIP_SUCCESS;

/// Registers `entries` (a power of two) provided-buffer ring descriptors at `buffers`
/// as buffer group `group` (IORING_REGISTER_PBUF_RING, Linux 5.19). liburing 2.3 lacks
/// io_uring_setup_buf_ring, so the caller maps the ring memory itself.
/// Returns 0 or -errno (-EINVAL on kernels without buffer rings).
static inline int torus_register_buffer_ring(struct io_uring *ring, struct io_uring_buf_ring *buffers,
                                             unsigned entries, unsigned short group) {
    struct io_uring_buf_reg reg;
    memset(&reg, 0, sizeof reg);
    reg.ring_addr = (unsigned long)(uintptr_t)buffers;
    reg.ring_entries = entries;
    reg.bgid = group;
    return io_uring_register_buf_ring(ring, &reg, 0);
}

/// Takes provided-buffer ring `group` back from the kernel.
static inline int torus_unregister_buffer_ring(struct io_uring *ring, unsigned short group) {
    return io_uring_unregister_buf_ring(ring, group);
}

/// Hands one buffer to the kernel through a provided-buffer ring of `entries`
/// descriptors, and publishes it (the tail store has release ordering).
static inline void torus_buffer_ring_provide(struct io_uring_buf_ring *buffers, void *address, unsigned length,
                                             unsigned short id, unsigned entries) {
    io_uring_buf_ring_add(buffers, address, length, id, io_uring_buf_ring_mask(entries), 0);
    io_uring_buf_ring_advance(buffers, 1);
}

/// Makes a receive SQE take its buffer from buffer group `group` when data arrives.
static inline void torus_sqe_select_buffer(struct io_uring_sqe *sqe, unsigned short group) {
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = group;
}

/// Whether this liburing build knows an opcode (the probe API, wrapped for Swift).
static inline int torus_probe_supports(struct io_uring *ring, int opcode) {
    struct io_uring_probe *probe = io_uring_get_probe_ring(ring);
    if (!probe) return 0;
    int supported = io_uring_opcode_supported(probe, opcode);
    io_uring_free_probe(probe);
    return supported;
}

/// CPU time of another thread of this process, in nanoseconds (user + system).
static inline uint64_t torus_pthread_cpu_ns(pthread_t thread) {
    clockid_t clock;
    if (pthread_getcpuclockid(thread, &clock) != 0) return 0;
    struct timespec ts;
    if (clock_gettime(clock, &ts) != 0) return 0;
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/// Enables a ring created with IORING_SETUP_R_DISABLED; the caller becomes its
/// submitter. liburing 2.3 declares io_uring_enable_rings but does not export it.
int torus_enable_rings(struct io_uring *ring);

/// statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, buffer): a descriptor's metadata
/// (glibc hides statx from Swift without _GNU_SOURCE). Returns 0 or -1 with errno.
int torus_statx(int fd, struct statx *buffer);

/// accept4 (a GNU extension the Glibc module hides from Swift).
int torus_accept4(int fd, int flags);

/// `AT_EMPTY_PATH` (a GNU extension the Glibc module hides from Swift).
static const int TORUS_AT_EMPTY_PATH = 0x1000;

/// Names the calling thread (pthread_setname_np, a GNU extension); `name` is cut to 15 bytes.
void torus_set_thread_name(const char *name);

/// The CPUs (0-63) the calling thread may run on, as a bit mask; 0 or -errno.
/// (sched_getaffinity and CPU_SET are GNU extensions and macros Swift cannot import.)
int torus_thread_affinity(uint64_t *mask);
/// Restricts the calling thread to the CPUs in `mask` (0-63); 0 or -errno.
int torus_set_thread_affinity(uint64_t mask);
/// The CPUs the process may run on (any number, not only 0-63), written to `cpus` in
/// ascending order, at most `capacity` of them; returns how many there are, or -errno.
int torus_affinity_cpus(int *cpus, int capacity);
/// Restricts the calling thread to CPU `cpu` (any number below CPU_SETSIZE); 0 or -errno.
int torus_pin_thread_to_cpu(int cpu);
/// The calling thread's name (pthread_getname_np) into `name` (16 bytes).
void torus_thread_name(char *name, int capacity);

/// The kernel's id of the calling thread (gettid, which Swift's Glibc module lacks).
int torus_thread_id(void);

/// The handler ``Signals`` installs for the signals it watches: forwards the signal with
/// tgkill to the thread recorded for it by ``torus_set_signal_target`` (a loop thread,
/// which blocks it, so it waits there for the loop's signalfd), and does nothing when none
/// is recorded or it is the calling thread. Async-signal-safe: an atomic load and system
/// calls; errno is preserved.
void torus_forward_signal(int signal);

/// Records the thread (a kernel thread id) ``torus_forward_signal`` sends `signal` to;
/// 0 forwards it nowhere. Signals outside 1..<_NSIG are ignored.
void torus_set_signal_target(int signal, int thread);

/// Initial-exec: a thread-local read is one load off %fs, not a `__tls_get_addr` call
/// (the loop checks it several times per operation).
#define TORUS_TLS_MODEL __attribute__((tls_model("initial-exec")))
extern _Thread_local void *torus_current_loop_storage TORUS_TLS_MODEL;

/// The event loop running on the calling thread, or NULL (a C thread-local: Swift has none).
static inline void *torus_current_loop(void) { return torus_current_loop_storage; }
/// Records the event loop that owns the calling thread.
void torus_set_current_loop(void *loop);

/// ThreadSanitizer's annotations, weak: defined only in a `--sanitize=thread` build, null
/// (and the shims below do nothing) otherwise.
extern void __tsan_acquire(void *address) __attribute__((weak));
extern void __tsan_release(void *address) __attribute__((weak));

/// Tells ThreadSanitizer that this thread now holds the lock at `address`: it inherits what
/// the last ``torus_sanitizer_release`` of `address` published. Swift's `Mutex` hands a
/// contended lock over in futex calls its (uninstrumented) library makes, which the
/// sanitizer cannot see.
static inline void torus_sanitizer_acquire(const void *address) {
    if (__tsan_acquire) __tsan_acquire((void *)address);
}

/// Tells ThreadSanitizer that this thread is about to give up the lock at `address`.
static inline void torus_sanitizer_release(const void *address) {
    if (__tsan_release) __tsan_release((void *)address);
}

#endif
