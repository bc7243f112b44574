/*
 * c-liburing-echo: a plain single-threaded TCP echo server on liburing.
 *
 * This is the "practical limit" reference the Torus benchmarks compare
 * against: one ring, multishot accept, one recv/send in flight per
 * connection, a fixed 64 KiB buffer per connection, batched CQE reaping.
 *
 * Usage: c-liburing-echo [--port P]      (default 0 = ephemeral)
 *
 * Prints "listening <port>\n" on stdout once the socket is listening.
 * On SIGINT/SIGTERM (read from a signalfd in the ring) exits with status 0 and prints
 * "c-liburing-echo: cpu_user_us=<n> cpu_sys_us=<n>" on stderr.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IORING_SETUP_CQSIZE
#define IORING_SETUP_CQSIZE (1U << 3)
#endif
#ifndef IORING_SETUP_COOP_TASKRUN
#define IORING_SETUP_COOP_TASKRUN (1U << 8)
#endif
#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER (1U << 12)
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_DEFER_TASKRUN (1U << 13)
#endif

#define PROG_NAME   "c-liburing-echo"
#define SQ_ENTRIES  1024u
#define CQ_ENTRIES  (SQ_ENTRIES * 4u)
#define BACKLOG     4096
#define BUF_SIZE    (64 * 1024)

/* user_data = connection pointer | op tag (malloc memory is >= 8-aligned). */
enum op {
    OP_ACCEPT = 1,
    OP_RECV   = 2,
    OP_SEND   = 3,
    OP_SIGNAL = 4,
};
#define OP_MASK ((uint64_t)7)

struct conn {
    int fd;
    unsigned send_off;  /* bytes of the current chunk already sent */
    unsigned send_len;  /* bytes of the current chunk to send */
    unsigned char buf[BUF_SIZE];
};

/* SIGINT/SIGTERM arrive as a read of this signalfd, completed in the ring: no handler
 * that a sanitizer's signal interposition could hold back while the thread waits in
 * io_uring_enter (ThreadSanitizer runs a handler only at its next libc call). */
static int signal_fd = -1;
static struct signalfd_siginfo signal_info;
static int stop_requested;

static inline uint64_t make_ud(struct conn *c, enum op op)
{
    return (uint64_t)(uintptr_t)c | (uint64_t)op;
}

static inline enum op ud_op(uint64_t ud)
{
    return (enum op)(ud & OP_MASK);
}

static inline struct conn *ud_conn(uint64_t ud)
{
    return (struct conn *)(uintptr_t)(ud & ~OP_MASK);
}

/* Get an SQE, flushing the SQ to the kernel if it is full. */
static struct io_uring_sqe *get_sqe(struct io_uring *ring)
{
    struct io_uring_sqe *sqe;

    while ((sqe = io_uring_get_sqe(ring)) == NULL) {
        int ret = io_uring_submit(ring);
        if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) {
            fprintf(stderr, PROG_NAME ": io_uring_submit: %s\n", strerror(-ret));
            exit(1);
        }
    }
    return sqe;
}

static void arm_accept(struct io_uring *ring, int lfd)
{
    struct io_uring_sqe *sqe = get_sqe(ring);
    io_uring_prep_multishot_accept(sqe, lfd, NULL, NULL, SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe, make_ud(NULL, OP_ACCEPT));
}

static void arm_signal_read(struct io_uring *ring)
{
    struct io_uring_sqe *sqe = get_sqe(ring);
    io_uring_prep_read(sqe, signal_fd, &signal_info, sizeof(signal_info), 0);
    io_uring_sqe_set_data64(sqe, make_ud(NULL, OP_SIGNAL));
}

static void arm_recv(struct io_uring *ring, struct conn *c)
{
    struct io_uring_sqe *sqe = get_sqe(ring);
    io_uring_prep_recv(sqe, c->fd, c->buf, BUF_SIZE, 0);
    io_uring_sqe_set_data64(sqe, make_ud(c, OP_RECV));
}

static void arm_send(struct io_uring *ring, struct conn *c)
{
    struct io_uring_sqe *sqe = get_sqe(ring);
    io_uring_prep_send(sqe, c->fd, c->buf + c->send_off,
                       c->send_len - c->send_off, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, make_ud(c, OP_SEND));
}

static void conn_close(struct conn *c)
{
    close(c->fd);
    free(c);
}

static void handle_accept(struct io_uring *ring, int lfd, struct io_uring_cqe *cqe)
{
    int res = cqe->res;

    if (res >= 0) {
        struct conn *c = malloc(sizeof(*c));
        if (c == NULL) {
            close(res);
        } else {
            int one = 1;
            setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            c->fd = res;
            c->send_off = 0;
            c->send_len = 0;
            arm_recv(ring, c);
        }
    }
    /* Errors such as EMFILE/ECONNABORTED terminate or skip one accept; keep serving. */
    if (!(cqe->flags & IORING_CQE_F_MORE))
        arm_accept(ring, lfd);
}

static void handle_recv(struct io_uring *ring, struct conn *c, int res)
{
    if (res > 0) {
        c->send_off = 0;
        c->send_len = (unsigned)res;
        arm_send(ring, c);
    } else if (res == -EINTR || res == -EAGAIN) {
        arm_recv(ring, c);
    } else {
        /* 0 = peer closed; < 0 = ECONNRESET etc. */
        conn_close(c);
    }
}

static void handle_send(struct io_uring *ring, struct conn *c, int res)
{
    if (res > 0) {
        c->send_off += (unsigned)res;
        if (c->send_off < c->send_len)
            arm_send(ring, c);      /* partial send: push the rest */
        else
            arm_recv(ring, c);
    } else if (res == -EINTR || res == -EAGAIN) {
        arm_send(ring, c);
    } else {
        conn_close(c);
    }
}

static void raise_nofile_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            fprintf(stderr, PROG_NAME ": warning: setrlimit(RLIMIT_NOFILE): %s\n",
                    strerror(errno));
    }
}

static void install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, NULL);

    /* Blocked, so they queue for the signalfd (whatever mask the parent spawned us
     * with: libdispatch workers block nearly all). */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigprocmask(SIG_BLOCK, &stop_signals, NULL);
    signal_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC);
    if (signal_fd < 0) {
        perror(PROG_NAME ": signalfd");
        exit(1);
    }
}

/* Try the fastest ring setup first, dropping optional flags on -EINVAL. */
static int setup_ring(struct io_uring *ring)
{
    static const unsigned attempts[] = {
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN,
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN,
        IORING_SETUP_COOP_TASKRUN,
        0,
    };
    int ret = -EINVAL;

    for (size_t i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++) {
        struct io_uring_params p;

        memset(&p, 0, sizeof(p));
        p.flags = attempts[i] | IORING_SETUP_CQSIZE;
        p.cq_entries = CQ_ENTRIES;
        ret = io_uring_queue_init_params(SQ_ENTRIES, ring, &p);
        if (ret == 0)
            return 0;
        if (ret != -EINVAL)
            break;
    }
    return ret;
}

static int setup_listener(int port)
{
    struct sockaddr_in addr;
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        fprintf(stderr, PROG_NAME ": socket: %s\n", strerror(errno));
        return -1;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
        fprintf(stderr, PROG_NAME ": setsockopt(SO_REUSEADDR): %s\n", strerror(errno));
        close(fd);
        return -1;
    }

    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        fprintf(stderr, PROG_NAME ": bind 127.0.0.1:%d: %s\n", port, strerror(errno));
        close(fd);
        return -1;
    }
    if (listen(fd, BACKLOG) != 0) {
        fprintf(stderr, PROG_NAME ": listen: %s\n", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static int bound_port(int fd)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof(addr);

    if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
        fprintf(stderr, PROG_NAME ": getsockname: %s\n", strerror(errno));
        return -1;
    }
    return ntohs(addr.sin_port);
}

static void usage(void)
{
    fprintf(stderr, "usage: " PROG_NAME " [--port P]\n");
}

static int parse_args(int argc, char **argv, int *port)
{
    *port = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            char *end;
            long v;

            errno = 0;
            v = strtol(argv[++i], &end, 10);
            if (errno != 0 || *end != '\0' || end == argv[i] || v < 0 || v > 65535) {
                fprintf(stderr, PROG_NAME ": invalid port '%s'\n", argv[i]);
                return -1;
            }
            *port = (int)v;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage();
            exit(0);
        } else {
            usage();
            return -1;
        }
    }
    return 0;
}

static void print_rusage(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return;
    fprintf(stderr, PROG_NAME ": cpu_user_us=%lld cpu_sys_us=%lld\n",
            (long long)ru.ru_utime.tv_sec * 1000000LL + (long long)ru.ru_utime.tv_usec,
            (long long)ru.ru_stime.tv_sec * 1000000LL + (long long)ru.ru_stime.tv_usec);
}

int main(int argc, char **argv)
{
    struct io_uring ring;
    int port, lfd, ret, status = 0;

    if (parse_args(argc, argv, &port) != 0)
        return 1;

    raise_nofile_limit();
    install_signals();

    ret = setup_ring(&ring);
    if (ret != 0) {
        fprintf(stderr, PROG_NAME ": io_uring_queue_init_params: %s\n", strerror(-ret));
        return 1;
    }

    lfd = setup_listener(port);
    if (lfd < 0) {
        io_uring_queue_exit(&ring);
        return 1;
    }
    port = bound_port(lfd);
    if (port < 0) {
        close(lfd);
        io_uring_queue_exit(&ring);
        return 1;
    }
    printf("listening %d\n", port);
    fflush(stdout);

    arm_accept(&ring, lfd);
    arm_signal_read(&ring);

    while (!stop_requested) {
        struct io_uring_cqe *cqe;
        unsigned head, count = 0;

        ret = io_uring_submit_and_wait(&ring, 1);
        if (ret < 0) {
            if (ret == -EINTR || ret == -EAGAIN || ret == -EBUSY)
                continue;
            fprintf(stderr, PROG_NAME ": io_uring_submit_and_wait: %s\n", strerror(-ret));
            status = 1;
            break;
        }

        io_uring_for_each_cqe(&ring, head, cqe) {
            uint64_t ud = io_uring_cqe_get_data64(cqe);

            count++;
            switch (ud_op(ud)) {
            case OP_ACCEPT:
                handle_accept(&ring, lfd, cqe);
                break;
            case OP_RECV:
                handle_recv(&ring, ud_conn(ud), cqe->res);
                break;
            case OP_SEND:
                handle_send(&ring, ud_conn(ud), cqe->res);
                break;
            case OP_SIGNAL:
                stop_requested = 1;
                break;
            }
        }
        io_uring_cq_advance(&ring, count);
    }

    close(lfd);
    io_uring_queue_exit(&ring);
    print_rusage();
    return status;
}
