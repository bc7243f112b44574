// Most shims are static inline in include/CLiburing.h; the thread-local is defined here
// so every Swift module sees one copy of it.
#define _GNU_SOURCE
#include "CLiburing.h"
#include <stdatomic.h>
#include <sys/syscall.h>

_Thread_local void *torus_current_loop_storage TORUS_TLS_MODEL;

void torus_set_current_loop(void *loop) { torus_current_loop_storage = loop; }

int torus_thread_id(void) { return (int)syscall(SYS_gettid); }

/// Where each signal is forwarded (a thread id, 0 for none); read by the handler, so atomic.
static _Atomic int signal_targets[_NSIG];

void torus_forward_signal(int signal) {
    int saved = errno;
    if (signal > 0 && signal < _NSIG) {
        int thread = atomic_load_explicit(&signal_targets[signal], memory_order_acquire);
        // Never to the handling thread itself: a thread that does not block the signal
        // (the loop thread gone, its id reused) would take it again, forever.
        if (thread > 0 && thread != (int)syscall(SYS_gettid)) syscall(SYS_tgkill, getpid(), thread, signal);
    }
    errno = saved;
}

void torus_set_signal_target(int signal, int thread) {
    if (signal > 0 && signal < _NSIG) atomic_store_explicit(&signal_targets[signal], thread, memory_order_release);
}

void torus_set_thread_name(const char *name) {
    char truncated[16];
    strncpy(truncated, name, sizeof truncated - 1);
    truncated[sizeof truncated - 1] = 0;
    pthread_setname_np(pthread_self(), truncated);
}

int torus_enable_rings(struct io_uring *ring) {
    int result = (int)syscall(__NR_io_uring_register, ring->ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0);
    return result < 0 ? -errno : result;
}

int torus_statx(int fd, struct statx *buffer) {
    return statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, buffer);
}

int torus_accept4(int fd, int flags) {
    return accept4(fd, NULL, NULL, flags);
}

int torus_thread_affinity(uint64_t *mask) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -errno;
    *mask = 0;
    for (int cpu = 0; cpu < 64; cpu++)
        if (CPU_ISSET(cpu, &set)) *mask |= 1ull << cpu;
    return 0;
}

int torus_set_thread_affinity(uint64_t mask) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int cpu = 0; cpu < 64; cpu++)
        if (mask & (1ull << cpu)) CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0 ? 0 : -errno;
}

int torus_affinity_cpus(int *cpus, int capacity) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -errno;
    int count = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (!CPU_ISSET(cpu, &set)) continue;
        if (count < capacity) cpus[count] = cpu;
        count++;
    }
    return count;
}

int torus_pin_thread_to_cpu(int cpu) {
    if (cpu < 0 || cpu >= CPU_SETSIZE) return -EINVAL;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0 ? 0 : -errno;
}

void torus_thread_name(char *name, int capacity) {
    if (pthread_getname_np(pthread_self(), name, (size_t)capacity) != 0 && capacity > 0) name[0] = 0;
}
