/*
 * Samsa bench shim: the few librdkafka-internal helpers that the librdkafka example
 * rdkafka_performance.c expects from its source tree ("../src/rd.h", "rd.h", "rdtime.h").
 * Written for Samsa; only what that program uses.
 */
#ifndef SAMSA_RD_SHIM_H
#define SAMSA_RD_SHIM_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <getopt.h>
#include <sys/time.h>

/* Microsecond timestamps. */
typedef int64_t rd_ts_t;

/* Monotonic clock in microseconds. */
static inline rd_ts_t rd_clock(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ((rd_ts_t)ts.tv_sec * 1000000LL) + ((rd_ts_t)ts.tv_nsec / 1000);
}

#define rd_snprintf(...) snprintf(__VA_ARGS__)

#ifndef RD_MIN
#define RD_MIN(a, b) ((a) < (b) ? (a) : (b))
#endif
#ifndef RD_MAX
#define RD_MAX(a, b) ((a) > (b) ? (a) : (b))
#endif

#endif
