/* A connection through TLS opened by the native side, its plaintext bridged to one end of a
 * socketpair whose other end JavaScript reads as an ordinary socket. Toward the cluster (after
 * JavaScript exchanged the SSLRequest) JavaScript logs in, warms and checks over that socket
 * exactly as over Node's TLS; from a client (after the proxy answered its SSLRequest) the listener
 * reads the startup and authenticates over it. When a session starts, link_take() hands the TLS
 * connection itself to the relay and the bridge goes away. "Peer" is the far end of the TLS. */
#include "pgrelay.h"
#include "socket-bio.h"
#include "tls-io.h"
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_CHUNK 16384
#define READY_FOR_QUERY 'Z'
#define ERROR_RESPONSE 'E'
#define TX_IDLE 'I'

struct link {
  int id;
  napi_env env;
  js_callback_t cb;
  SSL *ssl;
  int fd;       /* the TLS socket */
  int bridge;   /* our end of the socketpair */
  int js_end;   /* JavaScript's end (owned by its socket once handed over) */
  uv_poll_t *ppoll, *bpoll;
  unsigned uev, bev;
  int handshaking, ready, closed;
  int read_wants_write, write_wants_read, handshake_wants_write;
  int peer_eof;
  bytes_t to_js, to_peer;
  int open_handles;
  /* While parked at the door: told once of anything from the server, or of its end. */
  link_watch_fn watch;
  void *watch_ctx;
  int heard;
  /* A reset run here (link_reset): ReadyForQuery still to come, and its timer. A reset that
   * worked is reported on the loop's next turn (reported: 1 then), never from inside a read. */
  int resetting, ready_left, reset_error, reset_worked;
  uv_timer_t *reset_timer;
};

static void link_apply(link_t *l);

static void free_poll(uv_handle_t *h) {
  link_t *l = h->data;
  free(h);
  if (l && --l->open_handles == 0) free(l);
}


static void release(link_t *l) {
  /* The struct lives until the last handle's close callback. */
  if (l->closed) return;
  /* A reset still running, or whose success is not reported yet, failed. */
  int reset_failed = l->resetting || l->reset_worked;
  l->resetting = l->reset_worked = 0;
  int id = l->id;
  l->closed = 1;
  if (l->ssl) SSL_free(l->ssl);
  l->ssl = NULL;
  if (l->ppoll) uv_close((uv_handle_t *)l->ppoll, free_poll);
  if (l->bpoll) uv_close((uv_handle_t *)l->bpoll, free_poll);
  if (l->reset_timer) uv_close((uv_handle_t *)l->reset_timer, free_poll);
  l->ppoll = l->bpoll = NULL;
  l->reset_timer = NULL;
  if (l->fd >= 0) close(l->fd);
  if (l->bridge >= 0) close(l->bridge);
  l->fd = l->bridge = -1;
  bytes_free(&l->to_js);
  bytes_free(&l->to_peer);
  js_callback_free(&l->cb);
  table_forget_link(id);
  if (l->open_handles == 0) free(l);
  /* Last: JavaScript finds the link gone. */
  if (reset_failed) addon_reset_done(id, 0);
}

typedef struct {
  const char *kind;
  const char *message;
  long verify;
  int fd;
} link_event_t;

static int link_event_args(napi_env env, void *data, napi_value *argv) {
  link_event_t *e = data;
  napi_create_string_utf8(env, e->kind, NAPI_AUTO_LENGTH, &argv[0]);
  if (e->message) napi_create_string_utf8(env, e->message, NAPI_AUTO_LENGTH, &argv[1]);
  else napi_create_int32(env, e->fd, &argv[1]);
  napi_create_int64(env, e->verify, &argv[2]);
  return 3;
}

/* kind: "error", or "closed" when the peer went away in the middle of the handshake. */
static void fail_as(link_t *l, const char *kind, const char *message, long verify) {
  if (l->closed) return;
  link_event_t e = {kind, message, verify, -1};
  js_callback_call(&l->cb, 3, link_event_args, NULL, &e);
  release(l);
}

static void fail(link_t *l, const char *message, long verify) { fail_as(l, "error", message, verify); }

static void handshake_failed(link_t *l, int ssl_error) {
  char why[512];
  int closed = tls_handshake_failure(l->ssl, ssl_error, why, sizeof why);
  fail_as(l, closed ? "closed" : "error", why, SSL_get_verify_result(l->ssl));
}

static void on_bridge(uv_poll_t *h, int status, int events);
static void on_peer_events(link_t *l, int status);

/* The socketpair JavaScript reads the plaintext through, and the poll of our end. */
static int open_bridge(link_t *l) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) != 0) return -1;
  uv_poll_t *bpoll = malloc(sizeof *bpoll);
  uv_loop_t *loop;
  napi_get_uv_event_loop(l->env, &loop);
  if (!bpoll || uv_poll_init_socket(loop, bpoll, pair[0]) != 0) {
    free(bpoll);
    close(pair[0]);
    close(pair[1]);
    errno = ENOMEM;
    return -1;
  }
  l->handshaking = 0;
  l->ready = 1;
  l->bridge = pair[0];
  l->js_end = pair[1];
  l->bpoll = bpoll;
  l->bpoll->data = l;
  l->open_handles++;
  return 0;
}

static void handshake(link_t *l) {
  int r = SSL_do_handshake(l->ssl);
  if (r == 1) {
    if (open_bridge(l) != 0) {
      fail(l, strerror(errno), 0);
      return;
    }
    link_event_t e = {"ready", NULL, 0, l->js_end};
    js_callback_call(&l->cb, 3, link_event_args, NULL, &e);
    return;
  }
  int e = SSL_get_error(l->ssl, r);
  if (e == SSL_ERROR_WANT_READ) l->handshake_wants_write = 0;
  else if (e == SSL_ERROR_WANT_WRITE) l->handshake_wants_write = 1;
  else handshake_failed(l, e);
}

static void peer_ended(link_t *l) {
  l->peer_eof = 1;
  /* JavaScript reads what is bridged, then sees the close; with no bridge, nobody will. */
  if (bytes_pending(&l->to_js) == 0 || l->bridge < 0) release(l);
}

/* The peer is read while what came from it has gone on, or while a reset reads its answers. */
static int reads_peer(const link_t *l) { return bytes_pending(&l->to_js) == 0 || l->resetting; }

static void reset_answers(link_t *l);

static void flush_to_js(link_t *l) {
  if (l->resetting) {
    reset_answers(l);
    return;
  }
  /* No bridge (yet): what the server sent waits here for one; a parked link's watcher has heard it. */
  if (l->bridge < 0) return;
  while (!l->closed && bytes_pending(&l->to_js) > 0) {
    ssize_t n = send(l->bridge, l->to_js.p + l->to_js.off, bytes_pending(&l->to_js), MSG_NOSIGNAL);
    if (n > 0) {
      l->to_js.off += n;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    release(l); /* JavaScript closed its end */
    return;
  }
  bytes_clear(&l->to_js);
  if (!l->closed && l->peer_eof) release(l);
}

static void read_peer(link_t *l) {
  l->read_wants_write = 0;
  while (!l->closed && !l->peer_eof && reads_peer(l)) {
    tls_step_t step = tls_read_step(l->ssl, &l->to_js, READ_CHUNK);
    if (step == TLS_MOVED) {
      l->heard = 1;
      flush_to_js(l);
      if (l->ssl && !tls_buffered(l->ssl)) return;
      continue;
    }
    if (step == TLS_WANTS_WRITE) l->read_wants_write = 1;
    else if (step == TLS_CLOSED) peer_ended(l);
    return;
  }
}

static void flush_to_peer(link_t *l) {
  l->write_wants_read = 0;
  while (!l->closed && bytes_pending(&l->to_peer) > 0) {
    tls_step_t step = tls_write_step(l->ssl, &l->to_peer);
    if (step == TLS_MOVED) continue;
    if (step == TLS_WANTS_READ) l->write_wants_read = 1;
    else if (step == TLS_CLOSED) peer_ended(l);
    return;
  }
  bytes_clear(&l->to_peer);
}

static void read_bridge(link_t *l) {
  if (bytes_pending(&l->to_peer) > 0) return;
  if (!bytes_reserve(&l->to_peer, READ_CHUNK)) {
    release(l);
    return;
  }
  ssize_t n = read(l->bridge, l->to_peer.p + l->to_peer.len, READ_CHUNK);
  if (n > 0) {
    l->to_peer.len += n;
    flush_to_peer(l);
    return;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  release(l); /* JavaScript ended or destroyed its socket */
}

/* Last in a poll callback: the link's state is settled, and the watcher may close it. */
static void tell_watcher(link_t *l) {
  if (!l->watch || !(l->heard || l->closed || l->peer_eof)) return;
  link_watch_fn watch = l->watch;
  l->watch = NULL;
  watch(l->watch_ctx, l->heard ? LINK_HEARD : LINK_CLOSED);
}

static void on_peer(uv_poll_t *h, int status, int events) {
  link_t *l = h->data;
  if (l->closed) return;
  on_peer_events(l, status);
  tell_watcher(l);
}

static void on_peer_events(link_t *l, int status) {
  if (l->handshaking) {
    if (status < 0) {
      char why[256];
      fail_as(l, tls_socket_failure(l->fd, why, sizeof why) ? "closed" : "error", why, X509_V_OK);
      return;
    }
    handshake(l);
    /* With read-ahead, the records after the handshake (a client's StartupMessage) may already
     * sit in TLS's buffer, where no poll would announce them. */
    if (l->ready && !l->closed) read_peer(l);
    link_apply(l);
    return;
  }
  if (status < 0) {
    peer_ended(l);
    link_apply(l);
    return;
  }
  if (bytes_pending(&l->to_peer) > 0) flush_to_peer(l);
  read_peer(l);
  link_apply(l);
}

static void on_bridge(uv_poll_t *h, int status, int events) {
  link_t *l = h->data;
  if (l->closed) return;
  if (status < 0) release(l);
  else {
    if (events & UV_WRITABLE) {
      flush_to_js(l);
      if (!l->closed && bytes_pending(&l->to_js) == 0) read_peer(l);
    }
    if (!l->closed && (events & UV_READABLE)) read_bridge(l);
    link_apply(l);
  }
  tell_watcher(l);
}

int link_watch(link_t *l, link_watch_fn fn, void *ctx) {
  if (!link_is_ready(l)) return 0;
  l->watch = fn;
  l->watch_ctx = ctx;
  l->heard = 0;
  return 1;
}

void link_unwatch(link_t *l) { l->watch = NULL; }

static void link_apply(link_t *l) {
  if (l->closed) return;
  unsigned uev = 0, bev = 0;
  if (l->handshaking) uev = l->handshake_wants_write ? UV_WRITABLE : UV_READABLE;
  else {
    if (!l->peer_eof) {
      if (reads_peer(l) || l->write_wants_read) uev |= UV_READABLE;
      if ((bytes_pending(&l->to_peer) > 0 && !l->write_wants_read) || l->read_wants_write) uev |= UV_WRITABLE;
    }
    if (bytes_pending(&l->to_peer) == 0) bev |= UV_READABLE;
    if (bytes_pending(&l->to_js) > 0) bev |= UV_WRITABLE;
  }
  if (uev != l->uev) {
    l->uev = uev;
    if (uev) uv_poll_start(l->ppoll, uev, on_peer);
    else uv_poll_stop(l->ppoll);
  }
  if (l->bpoll && bev != l->bev) {
    l->bev = bev;
    if (bev) uv_poll_start(l->bpoll, bev, on_bridge);
    else uv_poll_stop(l->bpoll);
  }
}

link_t *link_open(napi_env env, SSL_CTX *ctx, int fd, const char *servername, napi_value callback, int id) {
  link_t *l = calloc(1, sizeof *l);
  if (!l) return NULL;
  l->id = id;
  l->env = env;
  l->fd = dup(fd);
  l->bridge = l->js_end = -1;
  if (l->fd < 0 || js_callback_init(&l->cb, env, callback, "aurora-pg-proxy:tls-link") != 0) {
    if (l->fd >= 0) close(l->fd);
    free(l);
    return NULL;
  }
  fcntl(l->fd, F_SETFD, FD_CLOEXEC);
  l->ssl = SSL_new(ctx);
  if (!l->ssl || !socket_bio_attach(l->ssl, l->fd)) {
    SSL_free(l->ssl);
    js_callback_free(&l->cb);
    close(l->fd);
    free(l);
    return NULL;
  }
  if (servername) {
    SSL_set_connect_state(l->ssl);
    SSL_set_tlsext_host_name(l->ssl, servername);
    SSL_set1_host(l->ssl, servername);
    SSL_set_verify(l->ssl, SSL_VERIFY_PEER, NULL);
  } else SSL_set_accept_state(l->ssl);
  SSL_set_mode(l->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  l->handshaking = 1;
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  l->ppoll = malloc(sizeof *l->ppoll);
  uv_poll_init_socket(loop, l->ppoll, l->fd);
  l->ppoll->data = l;
  l->open_handles++;
  /* The handshake starts from the poll, never inside this call, so that JavaScript hears of the
   * link only after it has its id: a client speaks first (readable), the cluster's side writes first
   * (writable at once). */
  l->handshake_wants_write = servername != NULL;
  link_apply(l);
  return l;
}

int link_adopt(napi_env env, SSL *ssl, int fd, uv_poll_t *poll, int *js_end, const char *heard, size_t heard_len) {
  int id = table_reserve_link();
  link_t *l = id > 0 ? calloc(1, sizeof *l) : NULL;
  if (!l) {
    if (id > 0) table_forget_link(id);
    return -1;
  }
  l->id = id;
  l->env = env;
  l->fd = l->bridge = l->js_end = -1;
  if ((js_end && open_bridge(l) != 0) || !bytes_append(&l->to_js, heard, heard_len)) {
    bytes_free(&l->to_js);
    table_forget_link(id);
    if (l->bpoll) {
      /* open_bridge made the poll of our end: its close callback frees the link. */
      close(l->bridge);
      close(l->js_end);
      uv_close((uv_handle_t *)l->bpoll, free_poll);
    } else free(l);
    return -1;
  }
  l->handshaking = 0;
  l->ready = 1;
  l->ssl = ssl;
  l->fd = fd;
  l->ppoll = poll;
  l->ppoll->data = l;
  l->open_handles++;
  if (js_end) *js_end = l->js_end;
  table_place_link(id, l);
  /* What was read from the peer before (a client's startup, read at the door) goes first; with
   * read-ahead, what the peer sent since may already sit in TLS's buffer. */
  flush_to_js(l);
  if (!l->closed) read_peer(l);
  link_apply(l);
  return id;
}

int link_bridge(link_t *l) {
  if (!link_is_ready(l) || l->bridge >= 0 || l->resetting || l->reset_worked) return -1;
  if (open_bridge(l) != 0) return -1;
  /* What the server sent while there was no bridge goes first. */
  flush_to_js(l);
  link_apply(l);
  return l->closed ? -1 : l->js_end;
}

/* ---------- a reset run here (--reuse-connections) ---------- */

static void on_reset_timer(uv_timer_t *t);

/* The reset is over. One that failed closes the link (and JavaScript hears so from release); one
 * that worked is reported on the loop's next turn, outside this read: JavaScript may hand the
 * link to a session at once. */
static void finish_reset(link_t *l, int ok) {
  if (!ok) {
    release(l); /* a reset running: reported failed */
    return;
  }
  l->resetting = 0;
  l->reset_worked = 1;
  uv_timer_start(l->reset_timer, on_reset_timer, 0, 0);
}

static void on_reset_timer(uv_timer_t *t) {
  link_t *l = t->data;
  if (l->closed) return;
  if (l->resetting) {
    finish_reset(l, 0); /* it took too long */
    return;
  }
  if (!l->reset_worked) return;
  l->reset_worked = 0;
  addon_reset_done(l->id, 1);
}

static uint32_t be32(const char *p) {
  const unsigned char *u = (const unsigned char *)p;
  return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

/* The reset's answers, read into to_js: errors, COPY, a ReadyForQuery not idle or anything after
 * the last one fail it. CommandComplete, CloseComplete, ParameterStatus and NoticeResponse pass. */
static void reset_answers(link_t *l) {
  while (l->resetting && bytes_pending(&l->to_js) >= 5) {
    const char *m = l->to_js.p + l->to_js.off;
    size_t len = be32(m + 1);
    if (len < 4) {
      finish_reset(l, 0);
      return;
    }
    if (bytes_pending(&l->to_js) < 1 + len) break;
    char type = m[0];
    l->to_js.off += 1 + len;
    if (type == ERROR_RESPONSE) l->reset_error = 1;
    else if (type == 'G' || type == 'H' || type == 'W') {
      finish_reset(l, 0);
      return;
    } else if (type == READY_FOR_QUERY) {
      if (l->reset_error || len != 5 || m[5] != TX_IDLE) {
        finish_reset(l, 0);
        return;
      }
      if (--l->ready_left == 0) {
        int extra = bytes_pending(&l->to_js) > 0;
        bytes_clear(&l->to_js);
        l->heard = 0;
        finish_reset(l, !extra);
        return;
      }
    }
  }
  if (bytes_pending(&l->to_js) == 0) bytes_clear(&l->to_js);
}

int link_reset(link_t *l, napi_env env, const char *bytes, size_t n, int ready_count, uint64_t timeout_ms) {
  if (!link_is_ready(l) || l->bridge >= 0 || l->resetting || l->reset_worked || ready_count < 1 || bytes_pending(&l->to_js) > 0) return 0;
  if (!l->reset_timer) {
    l->reset_timer = malloc(sizeof *l->reset_timer);
    if (!l->reset_timer) return 0;
    uv_loop_t *loop;
    napi_get_uv_event_loop(env, &loop);
    uv_timer_init(loop, l->reset_timer);
    l->reset_timer->data = l;
    l->open_handles++;
  }
  if (!bytes_append(&l->to_peer, bytes, n)) return 0;
  l->resetting = 1;
  l->ready_left = ready_count;
  l->reset_error = 0;
  uv_timer_start(l->reset_timer, on_reset_timer, timeout_ms, 0);
  flush_to_peer(l);
  link_apply(l);
  return 1;
}

void link_close(link_t *l) {
  if (!l->closed) release(l);
}

int link_is_ready(const link_t *l) { return l->ready && !l->closed && !l->peer_eof; }

/* Reads what is pending on one end of a bridge; a link with no bridge (reset and parked by the
 * addon) has nothing there, and no buffer is made for it. */
static int drain_fd(int fd, bytes_t *into) {
  if (fd < 0) return 0;
  for (;;) {
    if (!bytes_reserve(into, READ_CHUNK)) return -1;
    ssize_t n = read(fd, into->p + into->len, READ_CHUNK);
    if (n > 0) {
      into->len += n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return 0;
  }
}

int link_take(link_t *l, link_parts_t *out, int keep_bridge) {
  if (!link_is_ready(l)) return -1;
  memset(out, 0, sizeof *out);
  out->bridge = -1;
  /* From the peer: what JavaScript left unread on its end, then what never reached that end. */
  if (drain_fd(l->js_end, &out->from_peer) != 0) return -1;
  if (!bytes_append(&out->from_peer, l->to_js.p + l->to_js.off, bytes_pending(&l->to_js))) return -1;
  /* To the peer: what was read from the bridge but not yet sent, then what is still in it. */
  if (!bytes_append(&out->to_peer, l->to_peer.p + l->to_peer.off, bytes_pending(&l->to_peer))) return -1;
  if (drain_fd(l->bridge, &out->to_peer) != 0) return -1;
  out->ssl = l->ssl;
  out->fd = l->fd;
  if (keep_bridge) {
    out->bridge = l->bridge;
    l->bridge = -1;
  }
  out->poll = l->ppoll;
  uv_poll_stop(l->ppoll);
  l->ssl = NULL;
  l->fd = -1;
  l->ppoll = NULL;
  l->open_handles--; /* the poll handle now belongs to the session */
  release(l);
  return 0;
}
