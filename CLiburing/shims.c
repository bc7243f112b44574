// Most shims are static inline in include/CLiburing.h; the thread-local lives here so
// every Swift module sees one copy of it.
#define _GNU_SOURCE
#include "CLiburing.h"

static _Thread_local void *current_loop;

void *torus_current_loop(void) { return current_loop; }

void torus_set_current_loop(void *loop) { current_loop = loop; }

void torus_set_thread_name(const char *name) {
    char truncated[16];
    strncpy(truncated, name, sizeof truncated - 1);
    truncated[sizeof truncated - 1] = 0;
    pthread_setname_np(pthread_self(), truncated);
}
