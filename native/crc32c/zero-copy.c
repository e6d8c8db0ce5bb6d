/*
 * Zero-copy sends of Fetch answers (src/network/zero-copy-send.ts, docs/zero-copy.md), as a
 * Node-API addon: one call writes the parts of one answer, in order, to a connected TCP socket's
 * descriptor, without blocking. Buffer parts go with sendmsg (gathered, MSG_MORE while more parts
 * follow so the answer's header does not leave as a packet of its own); file-region parts (log
 * segment bytes) go with sendfile(2): the kernel moves them from the page cache to the socket and
 * the process never reads them.
 *
 *   send(socketFd, parts, fds, positions, skip) -> bytes written by this call (>= 0), or -errno
 *
 * parts[i] is a Buffer; fds[i] < 0 marks it as bytes to send, fds[i] >= 0 as a region of that file
 * of parts[i].length bytes at positions[i] (the Buffer only gives the length). `skip` bytes of the
 * whole sequence were sent before. The call stops when everything is written, when the socket's
 * send buffer is full (EAGAIN, or a short write), or on an error: then -errno (a file shorter than
 * its region: -ENODATA). It never waits: the caller resumes when the socket is writable.
 *
 *   quickAck(socketFd) -> 0, or -errno
 *
 * Sends the ACK the kernel holds back (delayed ACK) for the bytes read so far from a TCP socket,
 * now (TCP_QUICKACK; see src/network/prompt-ack.ts for why: a request that arrives in pieces from
 * a client with Nagle's algorithm on would otherwise wait ~40 ms for its last piece).
 *
 * Linux only (sendfile's signature differs elsewhere); on other systems `supported` is false and
 * Samsa sends copies as before (and quickAck is absent).
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __linux__
#include <errno.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#define MAX_PARTS 1024
#define MAX_IOV 64
/* sendfile moves at most this much per call. */
#define MAX_SENDFILE 0x7ffff000L

static napi_value number(napi_env env, double v) {
  napi_value out;
  napi_create_double(env, v, &out);
  return out;
}

static napi_value Send(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5) return number(env, -EINVAL);
  int32_t sock;
  double skipd;
  uint32_t n, nf, np;
  if (napi_get_value_int32(env, argv[0], &sock) != napi_ok || napi_get_value_double(env, argv[4], &skipd) != napi_ok) return number(env, -EINVAL);
  if (napi_get_array_length(env, argv[1], &n) != napi_ok || napi_get_array_length(env, argv[2], &nf) != napi_ok ||
      napi_get_array_length(env, argv[3], &np) != napi_ok || nf != n || np != n || n > MAX_PARTS || sock < 0 || skipd < 0) {
    return number(env, -EINVAL);
  }
  void* data[MAX_PARTS];
  size_t len[MAX_PARTS];
  int32_t fd[MAX_PARTS];
  double pos[MAX_PARTS];
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    bool is_buffer = false;
    if (napi_get_element(env, argv[1], i, &v) != napi_ok || napi_is_buffer(env, v, &is_buffer) != napi_ok || !is_buffer ||
        napi_get_buffer_info(env, v, &data[i], &len[i]) != napi_ok) {
      return number(env, -EINVAL);
    }
    if (napi_get_element(env, argv[2], i, &v) != napi_ok || napi_get_value_int32(env, v, &fd[i]) != napi_ok) return number(env, -EINVAL);
    if (napi_get_element(env, argv[3], i, &v) != napi_ok || napi_get_value_double(env, v, &pos[i]) != napi_ok || pos[i] < 0) return number(env, -EINVAL);
  }
  /* Find where `skip` falls. */
  size_t skip = (size_t)skipd;
  uint32_t i = 0;
  while (i < n && skip >= len[i]) skip -= len[i++];
  double written = 0;
  while (i < n) {
    if (len[i] == 0) {
      i++;
      continue;
    }
    if (fd[i] < 0) {
      struct iovec iov[MAX_IOV];
      int k = 0;
      size_t want = 0;
      uint32_t j = i;
      size_t off = skip;
      while (j < n && fd[j] < 0 && k < MAX_IOV) {
        if (len[j] > off) {
          iov[k].iov_base = (uint8_t*)data[j] + off;
          iov[k].iov_len = len[j] - off;
          want += iov[k].iov_len;
          k++;
        }
        off = 0;
        j++;
      }
      struct msghdr msg = {0};
      msg.msg_iov = iov;
      msg.msg_iovlen = (size_t)k;
      ssize_t r = sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT | (j < n ? MSG_MORE : 0));
      if (r < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        return number(env, -errno);
      }
      written += (double)r;
      size_t left = (size_t)r;
      while (i < n && fd[i] < 0 && left >= len[i] - skip) {
        left -= len[i] - skip;
        skip = 0;
        i++;
      }
      skip += left;
      if ((size_t)r < want) break;
    } else {
      size_t want = len[i] - skip;
      if (want > (size_t)MAX_SENDFILE) want = (size_t)MAX_SENDFILE;
      off_t at = (off_t)pos[i] + (off_t)skip;
      ssize_t r = sendfile(sock, fd[i], &at, want);
      if (r < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        return number(env, -errno);
      }
      if (r == 0) return number(env, -ENODATA);
      written += (double)r;
      skip += (size_t)r;
      if (skip == len[i]) {
        skip = 0;
        i++;
      } else if ((size_t)r < want) {
        break;
      }
    }
  }
  return number(env, written);
}

static napi_value QuickAck(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t sock;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_get_value_int32(env, argv[0], &sock) != napi_ok || sock < 0) {
    return number(env, -EINVAL);
  }
  int one = 1;
  /* Leaves delayed-ACK (pingpong) mode and sends an ACK that is scheduled, at once. */
  if (setsockopt(sock, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one) != 0) return number(env, -errno);
  return number(env, 0);
}

NAPI_MODULE_INIT() {
  napi_value fn, ack, yes;
  napi_create_function(env, "send", NAPI_AUTO_LENGTH, Send, NULL, &fn);
  napi_set_named_property(env, exports, "send", fn);
  napi_create_function(env, "quickAck", NAPI_AUTO_LENGTH, QuickAck, NULL, &ack);
  napi_set_named_property(env, exports, "quickAck", ack);
  napi_get_boolean(env, true, &yes);
  napi_set_named_property(env, exports, "supported", yes);
  return exports;
}

#else

NAPI_MODULE_INIT() {
  napi_value no;
  napi_get_boolean(env, false, &no);
  napi_set_named_property(env, exports, "supported", no);
  return exports;
}

#endif
