/*
 * c-liburing-nop: the practical limit of one no-op round trip through io_uring.
 *
 * The reference for `torus-bench nop`: submit IN_FLIGHT NOPs, wait for all
 * of their completions in the same io_uring_enter, reap them, repeat, until
 * OPERATIONS NOPs have completed. With --in-flight 1 that is "submit one,
 * wait, repeat"; with 64 it is the batched form. The ring is set up as the
 * Torus loop's (SINGLE_ISSUER | DEFER_TASKRUN where the kernel has them).
 *
 * Usage: c-liburing-nop [--operations N] [--in-flight K]
 *        (defaults: 1000000 operations, 1 in flight; K <= 256)
 *
 * Runs a tenth of N as warm-up, then prints
 * "nop in_flight=K operations=N wall_ns_per_op=W cpu_ns_per_op=C" on stdout,
 * where C is this thread's CPU time (user + system).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER (1U << 12)
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_DEFER_TASKRUN (1U << 13)
#endif

#define PROG_NAME     "c-liburing-nop"
#define MAX_IN_FLIGHT 256u

/* SINGLE_ISSUER | DEFER_TASKRUN first; plain on -EINVAL (older kernels). */
static int setup_ring(struct io_uring *ring)
{
    struct io_uring_params p;
    int ret;

    memset(&p, 0, sizeof(p));
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    ret = io_uring_queue_init_params(MAX_IN_FLIGHT, ring, &p);
    if (ret != -EINVAL)
        return ret;
    memset(&p, 0, sizeof(p));
    return io_uring_queue_init_params(MAX_IN_FLIGHT, ring, &p);
}

/* Completes `operations` NOPs, `in_flight` per io_uring_enter. */
static int spin(struct io_uring *ring, long operations, unsigned in_flight)
{
    struct io_uring_cqe *cqes[MAX_IN_FLIGHT];

    while (operations > 0) {
        unsigned batch = operations < (long)in_flight ? (unsigned)operations : in_flight;
        for (unsigned i = 0; i < batch; i++)
            io_uring_prep_nop(io_uring_get_sqe(ring));
        int ret = io_uring_submit_and_wait(ring, batch);
        if (ret < 0 && ret != -EINTR)
            return ret;
        unsigned reaped = 0;
        while (reaped < batch) {
            unsigned count = io_uring_peek_batch_cqe(ring, cqes, batch - reaped);
            if (count == 0) {
                struct io_uring_cqe *cqe;
                ret = io_uring_wait_cqe(ring, &cqe);
                if (ret < 0 && ret != -EINTR)
                    return ret;
                continue;
            }
            io_uring_cq_advance(ring, count);
            reaped += count;
        }
        operations -= batch;
    }
    return 0;
}

static long long nanoseconds(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int parse_long(const char *text, long min, long max, long *value)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || end == text || v < min || v > max)
        return -1;
    *value = v;
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: " PROG_NAME " [--operations N] [--in-flight K (1..%u)]\n", MAX_IN_FLIGHT);
}

int main(int argc, char **argv)
{
    long operations = 1000000, in_flight = 1;
    struct io_uring ring;
    int ret;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--operations") == 0 && i + 1 < argc) {
            if (parse_long(argv[++i], 1, 1L << 40, &operations) != 0) {
                fprintf(stderr, PROG_NAME ": invalid --operations '%s'\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--in-flight") == 0 && i + 1 < argc) {
            if (parse_long(argv[++i], 1, MAX_IN_FLIGHT, &in_flight) != 0) {
                fprintf(stderr, PROG_NAME ": invalid --in-flight '%s'\n", argv[i]);
                return 2;
            }
        } else {
            usage();
            return 2;
        }
    }

    ret = setup_ring(&ring);
    if (ret < 0) {
        fprintf(stderr, PROG_NAME ": io_uring_queue_init_params: %s\n", strerror(-ret));
        return 1;
    }
    ret = spin(&ring, operations / 10, (unsigned)in_flight);
    long long wall0 = nanoseconds(CLOCK_MONOTONIC);
    long long cpu0 = nanoseconds(CLOCK_THREAD_CPUTIME_ID);
    if (ret == 0)
        ret = spin(&ring, operations, (unsigned)in_flight);
    long long cpu = nanoseconds(CLOCK_THREAD_CPUTIME_ID) - cpu0;
    long long wall = nanoseconds(CLOCK_MONOTONIC) - wall0;
    io_uring_queue_exit(&ring);
    if (ret < 0) {
        fprintf(stderr, PROG_NAME ": io_uring_submit_and_wait: %s\n", strerror(-ret));
        return 1;
    }
    printf("nop in_flight=%ld operations=%ld wall_ns_per_op=%.1f cpu_ns_per_op=%.1f\n", in_flight, operations,
           (double)wall / (double)operations, (double)cpu / (double)operations);
    return 0;
}
