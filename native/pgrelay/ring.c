/* The io_uring transport of the relay (ring.h). Written against the kernel's interface directly
 * (io_uring_setup, io_uring_enter and the shared rings), so that the addon needs no library
 * beyond the kernel's headers. One ring serves the whole event loop; Node's loop polls its
 * descriptor, which is readable while completions wait. */
#define _GNU_SOURCE
#include "ring.h"
#include "bytes.h"
#include "socket-bio.h"
#include <errno.h>
#include <linux/io_uring.h>
#include <openssl/bio.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/* TLS records carry at most 16 KiB: a larger receive would not save a round of work. */
#define IN_CAP 16384
/* How much may wait to be sent before the endpoint stops taking writes (backpressure). */
#define OUT_LIMIT (256 * 1024)
#define SQ_ENTRIES 1024
/* Also how test/integration/dsql-relay-io.test.ts tells this ring from libuv's own (Node 24 makes some). */
#define CQ_ENTRIES 8192
/* Bounds on one turn's work, so that a session that keeps itself ready cannot hold the loop. */
#define DRAIN_PASSES 16
#define TURN_ROUNDS 8

enum { OP_RECV = 1, OP_SEND = 2, OP_CANCEL = 3, OP_MASK = 3 };

struct ring_ep {
  int fd;
  void *owner;
  ring_event_fn on_event;
  ring_done_fn on_done;
  unsigned want;
  char *in;
  size_t in_off, in_len;
  bytes_t out;    /* written, not yet handed to a send */
  bytes_t flight; /* handed to the send in flight: the kernel may read it until it completes */
  int recv_inflight, send_inflight, cancel_inflight;
  int eof, error, error_told;
  int shut_pending;
  int closing, detaching, dirty, finishing;
  int queued, flush_queued;
  ring_ep_t *next_ready, *next_flush;
};

typedef struct {
  uv_loop_t *loop;
  int fd;
  unsigned *sq_head, *sq_tail, *sq_mask, *sq_flags, *sq_array, sq_entries;
  struct io_uring_sqe *sqes;
  unsigned *cq_head, *cq_tail, *cq_mask;
  struct io_uring_cqe *cqes;
  unsigned tail; /* our SQ tail, published at submit */
  uv_poll_t poll;
  uv_idle_t idle;
  int running, idle_on;
  size_t endpoints;
  ring_ep_t *ready_head, *ready_tail, *flush_head;
  size_t ready_n;
} ring_t;

static ring_t R;
static int ring_state; /* 0 not tried, 1 up, -1 refused */

/* ---------- the kernel's interface ---------- */

static int sys_setup(unsigned entries, struct io_uring_params *p) { return (int)syscall(__NR_io_uring_setup, entries, p); }

static int sys_enter(unsigned to_submit, unsigned flags) {
  return (int)syscall(__NR_io_uring_enter, R.fd, to_submit, flags & IORING_ENTER_GETEVENTS ? 1 : 0, flags, NULL, 0);
}

static const char *map_rings(struct io_uring_params *p) {
  size_t sq_len = p->sq_off.array + p->sq_entries * sizeof(unsigned);
  size_t cq_len = p->cq_off.cqes + p->cq_entries * sizeof(struct io_uring_cqe);
  if (!(p->features & IORING_FEAT_SINGLE_MMAP) || !(p->features & IORING_FEAT_NODROP)) return "the kernel's io_uring is too old (before 5.5)";
  size_t len = sq_len > cq_len ? sq_len : cq_len;
  char *sq = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, R.fd, IORING_OFF_SQ_RING);
  if (sq == MAP_FAILED) return "mmap of the io_uring failed";
  void *sqes = mmap(NULL, p->sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, R.fd, IORING_OFF_SQES);
  if (sqes == MAP_FAILED) {
    munmap(sq, len);
    return "mmap of the io_uring failed";
  }
  R.sq_head = (unsigned *)(sq + p->sq_off.head);
  R.sq_tail = (unsigned *)(sq + p->sq_off.tail);
  R.sq_mask = (unsigned *)(sq + p->sq_off.ring_mask);
  R.sq_flags = (unsigned *)(sq + p->sq_off.flags);
  R.sq_array = (unsigned *)(sq + p->sq_off.array);
  R.sq_entries = p->sq_entries;
  R.sqes = sqes;
  R.cq_head = (unsigned *)(sq + p->cq_off.head);
  R.cq_tail = (unsigned *)(sq + p->cq_off.tail);
  R.cq_mask = (unsigned *)(sq + p->cq_off.ring_mask);
  R.cqes = (struct io_uring_cqe *)(sq + p->cq_off.cqes);
  R.tail = *R.sq_tail;
  return NULL;
}

/* Hands every prepared entry to the kernel; what completes at once is in the CQ afterwards. */
static void submit(void) {
  __atomic_store_n(R.sq_tail, R.tail, __ATOMIC_RELEASE);
  for (int tries = 0; tries < 4; tries++) {
    unsigned pending = R.tail - __atomic_load_n(R.sq_head, __ATOMIC_ACQUIRE);
    int overflow = (__atomic_load_n(R.sq_flags, __ATOMIC_RELAXED) & IORING_SQ_CQ_OVERFLOW) != 0;
    if (pending == 0 && !overflow) return;
    int r = sys_enter(pending, overflow ? IORING_ENTER_GETEVENTS : 0);
    if (r >= 0 || errno != EINTR) return;
  }
}

static struct io_uring_sqe *get_sqe(void) {
  if (R.tail - __atomic_load_n(R.sq_head, __ATOMIC_ACQUIRE) >= R.sq_entries) {
    submit();
    if (R.tail - __atomic_load_n(R.sq_head, __ATOMIC_ACQUIRE) >= R.sq_entries) return NULL;
  }
  unsigned idx = R.tail & *R.sq_mask;
  struct io_uring_sqe *sqe = &R.sqes[idx];
  memset(sqe, 0, sizeof *sqe);
  R.sq_array[idx] = idx;
  R.tail++;
  return sqe;
}

static uint64_t tag(ring_ep_t *ep, int op) { return (uint64_t)(uintptr_t)ep | (uint64_t)op; }

/* ---------- readiness ---------- */

static size_t unsent(const ring_ep_t *ep) { return bytes_pending(&ep->out) + bytes_pending(&ep->flight); }

static unsigned readiness(const ring_ep_t *ep) {
  unsigned ev = 0;
  if (ep->in_off < ep->in_len || ep->eof || ep->error) ev |= UV_READABLE;
  if (unsent(ep) < OUT_LIMIT || ep->error) ev |= UV_WRITABLE;
  return ev;
}

static void on_idle(uv_idle_t *h);

/* Work queued outside a turn (a timer's, JavaScript's) is done before the loop next sleeps. */
static void wake(void) {
  if (R.running || R.idle_on) return;
  R.idle_on = 1;
  uv_idle_start(&R.idle, on_idle);
}

static void push_ready(ring_ep_t *ep) {
  if (ep->queued) return;
  ep->queued = 1;
  ep->next_ready = NULL;
  if (R.ready_tail) R.ready_tail->next_ready = ep;
  else R.ready_head = ep;
  R.ready_tail = ep;
  R.ready_n++;
  wake();
}

static void push_flush(ring_ep_t *ep) {
  if (ep->flush_queued) return;
  ep->flush_queued = 1;
  ep->next_flush = R.flush_head;
  R.flush_head = ep;
  wake();
}

/* An owner's state changed, or an operation completed: tell it if what it waits for is there. */
static void consider(ring_ep_t *ep) {
  if (ep->finishing || (ep->on_event && ((ep->want & readiness(ep)) || (ep->error && !ep->error_told)))) push_ready(ep);
}

/* An entry for one of the endpoint's operations; with none to be had (the kernel takes none),
 * the endpoint fails as a socket out of memory would. */
static struct io_uring_sqe *sqe_for(ring_ep_t *ep, int op, int opcode) {
  struct io_uring_sqe *sqe = get_sqe();
  if (!sqe) {
    ep->error = ENOMEM;
    consider(ep);
    return NULL;
  }
  sqe->opcode = (unsigned char)opcode;
  sqe->fd = ep->fd;
  sqe->user_data = tag(ep, op);
  return sqe;
}

static void arm_receive(ring_ep_t *ep) {
  if (ep->recv_inflight || ep->eof || ep->error || ep->closing || ep->detaching || ep->in_off < ep->in_len) return;
  struct io_uring_sqe *sqe = sqe_for(ep, OP_RECV, IORING_OP_RECV);
  if (!sqe) return;
  /* The socket was just found empty (or the peer awaits an answer): wait before trying. */
  sqe->ioprio = IORING_RECVSEND_POLL_FIRST;
  sqe->addr = (uint64_t)(uintptr_t)ep->in;
  sqe->len = IN_CAP;
  ep->in_off = ep->in_len = 0;
  ep->recv_inflight = 1;
  wake();
}

static void start_send(ring_ep_t *ep) {
  if (ep->send_inflight || ep->error || ep->closing) return;
  if (bytes_pending(&ep->flight) == 0) {
    bytes_t t = ep->flight;
    ep->flight = ep->out;
    ep->out = t;
    bytes_clear(&ep->out);
  }
  size_t n = bytes_pending(&ep->flight);
  if (n == 0) {
    bytes_clear(&ep->flight);
    bytes_trim(&ep->flight, IN_CAP);
    if (ep->shut_pending) {
      ep->shut_pending = 0;
      shutdown(ep->fd, SHUT_WR);
    }
    return;
  }
  struct io_uring_sqe *sqe = sqe_for(ep, OP_SEND, IORING_OP_SEND);
  if (!sqe) return;
  sqe->addr = (uint64_t)(uintptr_t)(ep->flight.p + ep->flight.off);
  sqe->len = n > UINT32_MAX ? UINT32_MAX : (unsigned)n;
  sqe->msg_flags = MSG_NOSIGNAL;
  ep->send_inflight = 1;
}

static void cancel_all(ring_ep_t *ep) {
  if (ep->cancel_inflight || (!ep->recv_inflight && !ep->send_inflight)) return;
  struct io_uring_sqe *sqe = get_sqe();
  if (!sqe) return; /* then the operations end with the socket's own end */
  sqe->opcode = IORING_OP_ASYNC_CANCEL;
  sqe->fd = ep->fd;
  sqe->cancel_flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL;
  sqe->user_data = tag(ep, OP_CANCEL);
  ep->cancel_inflight = 1;
  wake();
}

static void maybe_finish(ring_ep_t *ep) {
  if ((ep->closing || ep->detaching) && !ep->recv_inflight && !ep->send_inflight && !ep->cancel_inflight && !ep->finishing) {
    ep->finishing = 1;
    push_ready(ep);
  }
}

/* ---------- completions ---------- */

static void complete(uint64_t data, int res) {
  ring_ep_t *ep = (ring_ep_t *)(uintptr_t)(data & ~(uint64_t)OP_MASK);
  int op = (int)(data & OP_MASK);
  if (op == OP_RECV) {
    ep->recv_inflight = 0;
    if (ep->detaching && res != -ECANCELED) ep->dirty = 1;
    if (res > 0) {
      ep->in_off = 0;
      ep->in_len = (size_t)res;
    } else if (res == 0) ep->eof = 1;
    else if (res != -ECANCELED && res != -EAGAIN && res != -EINTR) ep->error = -res;
    else if (ep->want & UV_READABLE) arm_receive(ep); /* nothing came, nothing failed: again */
  } else if (op == OP_SEND) {
    ep->send_inflight = 0;
    if (res >= 0) ep->flight.off += (size_t)res;
    else if (res != -ECANCELED && res != -EAGAIN && res != -EINTR) ep->error = -res;
    if (!ep->closing && !ep->error) start_send(ep);
  } else ep->cancel_inflight = 0;
  maybe_finish(ep);
  consider(ep);
}

static void reap(void) {
  unsigned head = *R.cq_head;
  unsigned tail = __atomic_load_n(R.cq_tail, __ATOMIC_ACQUIRE);
  while (head != tail) {
    struct io_uring_cqe *cqe = &R.cqes[head & *R.cq_mask];
    complete(cqe->user_data, cqe->res);
    head++;
    if (head == tail) tail = __atomic_load_n(R.cq_tail, __ATOMIC_ACQUIRE);
  }
  __atomic_store_n(R.cq_head, head, __ATOMIC_RELEASE);
}

static void ep_free(ring_ep_t *ep) {
  if (--R.endpoints == 0) uv_unref((uv_handle_t *)&R.poll);
  free(ep->in);
  bytes_free(&ep->out);
  bytes_free(&ep->flight);
  free(ep);
}

static void unlink_flush(ring_ep_t *ep) {
  for (ring_ep_t **at = &R.flush_head; *at; at = &(*at)->next_flush)
    if (*at == ep) {
      *at = ep->next_flush;
      ep->flush_queued = 0;
      return;
    }
}

static void finish(ring_ep_t *ep) {
  if (ep->flush_queued) unlink_flush(ep);
  int clean = ep->detaching && !ep->dirty && !ep->error && !ep->eof && ep->in_off == ep->in_len && unsent(ep) == 0;
  if (ep->closing) close(ep->fd);
  if (ep->on_done) ep->on_done(ep->owner, ep, clean);
  ep_free(ep);
}

static void dispatch(ring_ep_t *ep) {
  if (ep->finishing) {
    finish(ep);
    return;
  }
  if (!ep->on_event) return;
  if (ep->error && !ep->error_told) {
    ep->error_told = 1;
    ep->on_event(ep->owner, -1, 0);
    return;
  }
  unsigned ev = ep->want & readiness(ep);
  if (ev) ep->on_event(ep->owner, 0, (int)ev);
}

/* Endpoints are taken off the list one at a time, so that every one still queued is on it (a
 * detach at once, ring_ep_detach, takes its endpoint off). Each pass serves those queued when it
 * began; one that a pass makes ready again waits for the next. */
static ring_ep_t *pop_ready(void) {
  ring_ep_t *ep = R.ready_head;
  R.ready_head = ep->next_ready;
  if (!R.ready_head) R.ready_tail = NULL;
  R.ready_n--;
  ep->queued = 0;
  return ep;
}

static void drain(void) {
  for (int pass = 0; pass < DRAIN_PASSES && R.ready_head; pass++)
    for (size_t n = R.ready_n; n > 0 && R.ready_head; n--) dispatch(pop_ready());
}

static void flush_sends(void) {
  while (R.flush_head) {
    ring_ep_t *ep = R.flush_head;
    R.flush_head = ep->next_flush;
    ep->flush_queued = 0;
    if (!ep->closing) start_send(ep);
  }
}

static int cq_waiting(void) { return *R.cq_head != __atomic_load_n(R.cq_tail, __ATOMIC_ACQUIRE); }

/* One turn: completions to owners, owners' new work to the kernel, and again while the kernel
 * completed something at once (a send usually does). */
static void turn(void) {
  R.running = 1;
  for (int round = 0; round < TURN_ROUNDS; round++) {
    reap();
    drain();
    flush_sends();
    submit();
    if (!cq_waiting() && !R.ready_head && !R.flush_head) break;
  }
  R.running = 0;
  int more = R.ready_head || R.flush_head || cq_waiting() || R.tail != __atomic_load_n(R.sq_head, __ATOMIC_ACQUIRE);
  if (more && !R.idle_on) {
    R.idle_on = 1;
    uv_idle_start(&R.idle, on_idle);
  } else if (!more && R.idle_on) {
    R.idle_on = 0;
    uv_idle_stop(&R.idle);
  }
}

static void on_ring(uv_poll_t *h, int status, int events) { turn(); }
static void on_idle(uv_idle_t *h) { turn(); }

/* ---------- setup ---------- */

/* Endpoints close by cancelling every operation on their descriptor, and receive with
 * POLL_FIRST: both came with Linux 5.19, whose ring answers a cancel of all requests by
 * descriptor with how many it found (here none), where an older one says EINVAL. */
static const char *probe(void) {
  struct io_uring_sqe *sqe = get_sqe();
  if (!sqe) return "the io_uring took no request";
  sqe->opcode = IORING_OP_ASYNC_CANCEL;
  sqe->fd = R.fd;
  sqe->cancel_flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL;
  __atomic_store_n(R.sq_tail, R.tail, __ATOMIC_RELEASE);
  if (sys_enter(1, IORING_ENTER_GETEVENTS) < 0 || !cq_waiting()) return "the io_uring did not answer";
  unsigned head = *R.cq_head;
  int res = R.cqes[head & *R.cq_mask].res;
  __atomic_store_n(R.cq_head, head + 1, __ATOMIC_RELEASE);
  return res >= 0 || res == -ENOENT ? NULL : "the kernel's io_uring is too old (before Linux 5.19)";
}

const char *ring_enable(uv_loop_t *loop) {
  if (ring_state == 1) return R.loop == loop ? NULL : "the io_uring serves another event loop";
  static char why[160];
  if (ring_state == -1) return why;
  ring_state = -1;
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  p.flags = IORING_SETUP_CQSIZE;
  p.cq_entries = CQ_ENTRIES;
  R.fd = sys_setup(SQ_ENTRIES, &p);
  if (R.fd < 0) {
    snprintf(why, sizeof why, "io_uring_setup failed: %s", strerror(errno));
    return why;
  }
  const char *failed = map_rings(&p);
  if (!failed) failed = probe();
  if (!failed && uv_poll_init(loop, &R.poll, R.fd) != 0) failed = "libuv would not poll the io_uring";
  if (failed) {
    close(R.fd);
    snprintf(why, sizeof why, "%s", failed);
    return why;
  }
  uv_idle_init(loop, &R.idle);
  uv_unref((uv_handle_t *)&R.idle);
  uv_poll_start(&R.poll, UV_READABLE, on_ring);
  uv_unref((uv_handle_t *)&R.poll);
  R.loop = loop;
  ring_state = 1;
  return NULL;
}

int ring_ready(uv_loop_t *loop) { return ring_state == 1 && R.loop == loop; }

void ring_catch_up(void) {
  if (ring_state == 1 && !R.running && cq_waiting()) turn();
}

/* ---------- endpoints ---------- */

ring_ep_t *ring_ep_open(int fd, void *owner, ring_event_fn on_event, ring_done_fn on_done) {
  ring_ep_t *ep = calloc(1, sizeof *ep);
  if (!ep) return NULL;
  ep->in = malloc(IN_CAP);
  if (!ep->in) {
    free(ep);
    return NULL;
  }
  ep->fd = fd;
  ep->owner = owner;
  ep->on_event = on_event;
  ep->on_done = on_done;
  if (R.endpoints++ == 0) uv_ref((uv_handle_t *)&R.poll);
  return ep;
}

void ring_ep_want(ring_ep_t *ep, unsigned events) {
  ep->want = events;
  if (events & UV_READABLE) arm_receive(ep);
  consider(ep);
}

ssize_t ring_ep_read(ring_ep_t *ep, void *into, size_t n) {
  size_t have = ep->in_len - ep->in_off;
  if (have > 0) {
    if (n > have) n = have;
    memcpy(into, ep->in + ep->in_off, n);
    ep->in_off += n;
    if (ep->in_off == ep->in_len && (ep->want & UV_READABLE)) arm_receive(ep);
    return (ssize_t)n;
  }
  if (ep->error) {
    errno = ep->error;
    return -1;
  }
  if (ep->eof) return 0;
  if (ep->want & UV_READABLE) arm_receive(ep);
  errno = EAGAIN;
  return -1;
}

ssize_t ring_ep_write(ring_ep_t *ep, const void *from, size_t n) {
  if (ep->error) {
    errno = ep->error;
    return -1;
  }
  if (unsent(ep) >= OUT_LIMIT) {
    errno = EAGAIN;
    return -1;
  }
  if (!bytes_append(&ep->out, from, n)) {
    errno = ENOMEM;
    return -1;
  }
  if (!ep->send_inflight) push_flush(ep);
  return (ssize_t)n;
}

void ring_ep_shutdown(ring_ep_t *ep) {
  ep->shut_pending = 1;
  if (!ep->send_inflight) push_flush(ep);
}

void ring_ep_close(ring_ep_t *ep) {
  ep->on_event = NULL;
  ep->want = 0;
  ep->closing = 1;
  cancel_all(ep);
  maybe_finish(ep);
}

void ring_ep_abandon(ring_ep_t *ep) { ep_free(ep); }

static void unlink_ready(ring_ep_t *ep) {
  ring_ep_t *prev = NULL;
  for (ring_ep_t *at = R.ready_head; at; prev = at, at = at->next_ready)
    if (at == ep) {
      if (prev) prev->next_ready = ep->next_ready;
      else R.ready_head = ep->next_ready;
      if (R.ready_tail == ep) R.ready_tail = prev;
      R.ready_n--;
      ep->queued = 0;
      return;
    }
}

/* Cancels the endpoint's operations and waits for the kernel to let go of them (Linux 6.0), so
 * that a connection given back is back at once, as on epoll: a client that reconnects at once
 * finds it. 0 when the kernel cannot (then the cancel completes later). */
static int cancel_now(ring_ep_t *ep) {
  struct io_uring_sync_cancel_reg reg;
  memset(&reg, 0, sizeof reg);
  reg.fd = ep->fd;
  reg.flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL;
  reg.timeout.tv_sec = -1;
  reg.timeout.tv_nsec = -1;
  submit();
  long r = syscall(__NR_io_uring_register, R.fd, IORING_REGISTER_SYNC_CANCEL, &reg, 1);
  if (r < 0 && errno != ENOENT) return 0;
  reap();
  return !ep->recv_inflight && !ep->send_inflight && !ep->cancel_inflight;
}

void ring_ep_detach(ring_ep_t *ep, ring_done_fn on_done) {
  ep->on_done = on_done;
  ep->on_event = NULL;
  ep->want = 0;
  ep->detaching = 1;
  if (ep->in_off < ep->in_len || unsent(ep) > 0) ep->dirty = 1;
  if ((!ep->recv_inflight && !ep->send_inflight) || cancel_now(ep)) {
    if (ep->queued) unlink_ready(ep);
    ep->finishing = 1;
    finish(ep);
    return;
  }
  cancel_all(ep);
  maybe_finish(ep);
}

/* ---------- TLS on an endpoint ---------- */

static BIO_METHOD *bio_method;

static int bio_write(BIO *b, const char *data, size_t n, size_t *written) {
  BIO_clear_retry_flags(b);
  ssize_t r = ring_ep_write(BIO_get_data(b), data, n);
  if (r < 0) {
    if (errno == EAGAIN) BIO_set_retry_write(b);
    return 0;
  }
  *written = (size_t)r;
  return 1;
}

static int bio_read(BIO *b, char *into, size_t n, size_t *got) {
  BIO_clear_retry_flags(b);
  ssize_t r = ring_ep_read(BIO_get_data(b), into, n);
  if (r > 0) {
    *got = (size_t)r;
    return 1;
  }
  /* The end, which OpenSSL 3 tells from a retry by BIO_eof: "unexpected eof while reading". */
  if (r == 0) BIO_set_flags(b, BIO_FLAGS_IN_EOF);
  else if (errno == EAGAIN) BIO_set_retry_read(b);
  return 0;
}

int ring_ep_attach_tls(ring_ep_t *ep, SSL *ssl) {
  if (!bio_method) bio_method = transport_bio_method("aurora-pg-proxy io_uring", 0, bio_write, bio_read);
  if (!bio_method) return 0;
  BIO *b = BIO_new(bio_method);
  if (!b) return 0;
  BIO_set_data(b, ep);
  SSL_set_bio(ssl, b, b);
  return 1;
}
