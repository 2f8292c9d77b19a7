/* The native front door of a listener whose logins a warm connection can answer at once. The
 * addon accepts the clients on the listening socket itself and reads each one's first packet,
 * then hands the descriptor and those bytes to JavaScript in a single call. There a StartupMessage
 * that a warm connection serves is answered on the spot by a native session (join), with no
 * Node socket, stream or promise before the answer; anything else becomes an ordinary Node
 * socket and goes the listener's usual way. Node's accept, its socket and its first read were
 * about half of a warm login's time in the proxy. */
#define _GNU_SOURCE /* accept4 */
#include "pgrelay.h"
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* A StartupMessage is far smaller; what a client sends beyond it in the same write comes along. */
#define FIRST_READ 16384
/* While the descriptor limit is reached, accepting waits this long before trying again. */
#define RETRY_ACCEPT_MS 100

typedef struct waiting {
  uv_poll_t poll;
  int fd;
  uint64_t since_ms;
  door_t *door;
  struct waiting *prev, *next;
} waiting_t;

struct door {
  uv_poll_t poll;
  uv_timer_t timer;
  int fd;
  int closed;
  int open_handles;
  uint64_t handoff_ms;
  js_callback_t cb;
  waiting_t *waiting;
};

typedef struct {
  int fd;
  const char *bytes;
  size_t n;
} arrival_t;

static int arrival_args(napi_env env, void *data, napi_value *argv) {
  arrival_t *a = data;
  void *copy;
  napi_create_int32(env, a->fd, &argv[0]);
  napi_create_buffer_copy(env, a->n, a->n ? a->bytes : "", &copy, &argv[1]);
  return 2;
}

/* The descriptor and its first bytes go to JavaScript, which owns the descriptor from here on. */
static void hand_over(door_t *d, int fd, const char *bytes, size_t n) {
  arrival_t a = {fd, bytes, n};
  js_callback_call(&d->cb, 2, arrival_args, NULL, &a);
}

static void door_handle_closed(uv_handle_t *h) {
  door_t *d = h->data;
  if (--d->open_handles == 0) {
    js_callback_free(&d->cb);
    free(d);
  }
}

static void waiting_closed(uv_handle_t *h) { free(h->data); }

static void unlink_waiting(waiting_t *w) {
  door_t *d = w->door;
  if (w->prev) w->prev->next = w->next;
  else d->waiting = w->next;
  if (w->next) w->next->prev = w->prev;
  uv_poll_stop(&w->poll);
  uv_close((uv_handle_t *)&w->poll, waiting_closed);
}

/* Reads what the client sent so far: 1 with bytes (or the client gone: then n is 0), 0 when
 * nothing has come yet. */
static int first_read(int fd, char *buf, size_t *n) {
  for (;;) {
    ssize_t r = read(fd, buf, FIRST_READ);
    if (r >= 0) {
      *n = (size_t)r;
      return 1;
    }
    if (errno == EINTR) continue;
    *n = 0;
    return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : 1;
  }
}

static void on_waiting(uv_poll_t *p, int status, int events) {
  waiting_t *w = p->data;
  door_t *d = w->door;
  char buf[FIRST_READ];
  size_t n = 0;
  if (status == 0 && !first_read(w->fd, buf, &n)) return;
  int fd = w->fd;
  unlink_waiting(w);
  hand_over(d, fd, buf, n);
}

static void accept_clients(door_t *d) {
  while (!d->closed) {
    int fd = accept4(d->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      /* The listening socket stays readable: waiting on it now would spin; the timer resumes. */
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) uv_poll_stop(&d->poll);
      return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* Clients write their StartupMessage as soon as they are connected: often it is here already. */
    char buf[FIRST_READ];
    size_t n = 0;
    if (first_read(fd, buf, &n)) {
      hand_over(d, fd, buf, n);
      continue;
    }
    waiting_t *w = calloc(1, sizeof *w);
    uv_loop_t *loop = d->poll.loop;
    if (!w || uv_poll_init_socket(loop, &w->poll, fd) != 0) {
      free(w);
      hand_over(d, fd, buf, 0);
      continue;
    }
    w->fd = fd;
    w->door = d;
    w->since_ms = uv_now(loop);
    w->poll.data = w;
    w->next = d->waiting;
    if (d->waiting) d->waiting->prev = w;
    d->waiting = w;
    uv_poll_start(&w->poll, UV_READABLE | UV_DISCONNECT, on_waiting);
  }
}

static void on_listen(uv_poll_t *p, int status, int events) {
  if (status == 0) accept_clients(p->data);
}

/* Clients that have not written within handoff_ms go to JavaScript as they are (its startup
 * timeout takes it from there); accepting resumes after a descriptor shortage. */
static void on_timer(uv_timer_t *t) {
  door_t *d = t->data;
  if (d->closed) return;
  if (!uv_is_active((uv_handle_t *)&d->poll)) uv_poll_start(&d->poll, UV_READABLE, on_listen);
  uint64_t now = uv_now(t->loop);
  waiting_t *w = d->waiting;
  while (w) {
    waiting_t *next = w->next;
    if (now - w->since_ms >= d->handoff_ms) {
      int fd = w->fd;
      unlink_waiting(w);
      hand_over(d, fd, NULL, 0);
      if (d->closed) return;
    }
    w = next;
  }
}

door_t *door_open(napi_env env, int listen_fd, uint64_t handoff_ms, napi_value callback) {
  door_t *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->fd = fcntl(listen_fd, F_DUPFD_CLOEXEC, 0);
  if (d->fd < 0 || js_callback_init(&d->cb, env, callback, "aurora-pg-proxy:door") != 0) {
    if (d->fd >= 0) close(d->fd);
    free(d);
    return NULL;
  }
  fcntl(d->fd, F_SETFL, fcntl(d->fd, F_GETFL) | O_NONBLOCK);
  d->handoff_ms = handoff_ms > 0 ? handoff_ms : 1;
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  uv_poll_init_socket(loop, &d->poll, d->fd);
  uv_timer_init(loop, &d->timer);
  d->poll.data = d;
  d->timer.data = d;
  d->open_handles = 2;
  uv_poll_start(&d->poll, UV_READABLE, on_listen);
  uint64_t every = d->handoff_ms < RETRY_ACCEPT_MS ? d->handoff_ms : RETRY_ACCEPT_MS;
  uv_timer_start(&d->timer, on_timer, every, every);
  return d;
}

/* Stops accepting. Clients that had not written yet are closed, as a listener that stopped
 * accepting closes what it had not started on. */
void door_close(door_t *d) {
  if (d->closed) return;
  d->closed = 1;
  while (d->waiting) {
    int fd = d->waiting->fd;
    unlink_waiting(d->waiting);
    close(fd);
  }
  uv_poll_stop(&d->poll);
  uv_timer_stop(&d->timer);
  uv_close((uv_handle_t *)&d->poll, door_handle_closed);
  uv_close((uv_handle_t *)&d->timer, door_handle_closed);
  close(d->fd);
}
