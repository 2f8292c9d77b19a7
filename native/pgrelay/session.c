/* The relay between a client's socket (plain, or TLS the addon runs) and its cluster connection (TLS), on Node's event
 * loop with no JavaScript on the path of a round trip. It keeps every behaviour of the JavaScript
 * relay (src/iam-relay/fast-relay.ts): backpressure (a side is read only while the other has
 * taken everything), queries counted and timed from Query or Sync to ReadyForQuery, the
 * transaction state, errors by SQLSTATE, notices and final errors only between two messages, and
 * DSQL's optimistic-concurrency retries: a batch sent while idle outside a transaction is recorded,
 * its answer held until ReadyForQuery, and on a conflict JavaScript decides whether it goes again.
 * Counters are read by JavaScript in batches (session_stats). */
#include "pgrelay.h"
#include "ring.h"
#include "socket-bio.h"
#include "scan.h"
#include "statements.h"
#include "tls-io.h"
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* TLS records carry at most 16 KiB, so larger reads would not save a round of work; a session
 * keeps two such buffers. */
#define READ_CHUNK 16384
#define END_GRACE_MS 2000
#define QUERY 'Q'
#define SYNC 'S'
#define PARSE 'P'
#define TERMINATE 'X'
#define READY_FOR_QUERY 'Z'
#define ERROR_RESPONSE 'E'
#define COPY_IN_RESPONSE 'G'
#define COPY_BOTH_RESPONSE 'W'
#define TX_IDLE 'I'
#define TX_IN_BLOCK 'T'
#define TX_FAILED 'E'

typedef enum { TIMER_IDLE, TIMER_START, TIMER_RETRY, TIMER_END } timer_use_t;

typedef struct {
  double *v;
  size_t n, cap;
} doubles_t;

typedef struct {
  char (*v)[6];
  size_t n, cap;
} codes_t;

struct session {
  int id;
  js_callback_t cb;
  void (*before_first_event)(void *ctx);
  void *before_first_event_ctx;
  int cfd, ufd;
  int bridge; /* the cluster link's bridge, kept open (session_options_t.keep_bridge), or -1 */
  SSL *ssl;  /* the cluster's TLS */
  SSL *cssl; /* the client's TLS, or NULL for a plain client */
  int c_read_wants_write, c_write_wants_read;
  uv_poll_t *cpoll, *upoll;
  /* On io_uring (ring.h): the two sockets' endpoints, in place of the polls; NULL on epoll. */
  ring_ep_t *cep, *uep;
  uv_timer_t *timer;
  timer_use_t timer_use;
  unsigned cev, uev;
  int open_handles;
  int closed, ending, upstream_closed, client_paused, shutdown_after_flush, client_shut;
  int read_wants_write, write_wants_read;
  bytes_t c2u, u2c, notice, lost;
  scanner_t from_client, from_upstream;
  /* Start times (uv_hrtime) of the round trips in flight: a ring. */
  uint64_t *started;
  size_t started_head, started_n, started_cap;
  int said_goodbye, in_tx;
  /* --reuse-connections: a client that ends cleanly leaves its cluster connection to JavaScript. */
  int keep_upstream, last_client_type, last_ready_status;
  statements_t statements;
  /* Optimistic-concurrency retries. */
  int occ, recording, holding, saw_conflict, attempt, held_ready_status, held_needs_client;
  size_t hold_limit, recorded_bytes;
  bytes_t batch, held;
  codes_t held_errors;
  /* Reported to JavaScript at its next read of the stats. */
  uint64_t queries, bytes_in, bytes_out, tx_opened, tx_closed;
  int activity;
  doubles_t durations;
  codes_t errors;
};

/* ---------- small helpers ---------- */

static void push_double(doubles_t *d, double x) {
  if (d->n == d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 64;
    double *v = realloc(d->v, cap * sizeof *v);
    if (!v) return;
    d->v = v;
    d->cap = cap;
  }
  d->v[d->n++] = x;
}

static void push_code(codes_t *c, const char *code) {
  if (c->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 8;
    char(*v)[6] = realloc(c->v, cap * sizeof *v);
    if (!v) return;
    c->v = v;
    c->cap = cap;
  }
  snprintf(c->v[c->n++], 6, "%s", code);
}

static void push_started(session_t *s, uint64_t t) {
  if (s->started_n == s->started_cap) {
    size_t cap = s->started_cap ? s->started_cap * 2 : 16;
    uint64_t *v = malloc(cap * sizeof *v);
    if (!v) return;
    for (size_t i = 0; i < s->started_n; i++) v[i] = s->started[(s->started_head + i) % s->started_cap];
    free(s->started);
    s->started = v;
    s->started_cap = cap;
    s->started_head = 0;
  }
  s->started[(s->started_head + s->started_n) % s->started_cap] = t;
  s->started_n++;
}

static int shift_started(session_t *s, uint64_t *t) {
  if (s->started_n == 0) return 0;
  *t = s->started[s->started_head];
  s->started_head = (s->started_head + 1) % s->started_cap;
  s->started_n--;
  return 1;
}

/* The `C` field of an ErrorResponse head (field byte, C string, ..., final zero). */
static int sqlstate_of(const unsigned char *head, size_t n, char out[6]) {
  size_t i = 0;
  while (i < n && head[i] != 0) {
    const unsigned char *end = memchr(head + i + 1, 0, n - i - 1);
    if (!end) return 0;
    if (head[i] == 'C') {
      size_t len = (size_t)(end - head) - i - 1;
      if (len > 5) len = 5;
      memcpy(out, head + i + 1, len);
      out[len] = 0;
      return 1;
    }
    i = (size_t)(end - head) + 1;
  }
  return 0;
}

static int contains(const unsigned char *hay, size_t n, const char *needle, size_t m) {
  if (m > n) return 0;
  for (size_t i = 0; i + m <= n; i++)
    if (memcmp(hay + i, needle, m) == 0) return 1;
  return 0;
}

/* DSQL's conflict: SQLSTATE 40001 with OC000 (data) or OC001 (schema) in the message. */
static int is_occ_conflict(const unsigned char *head, size_t n) {
  return contains(head, n, "C40001", 7) && (contains(head, n, "OC000", 5) || contains(head, n, "OC001", 5));
}

/* ---------- calls into JavaScript ---------- */

typedef struct {
  const char *kind;
  const char *text;
  const bytes_t *batch;
  int attempt;
  double delay;
  /* A descriptor for detail (none: -1), and for "kept" the prepared statements the client made. */
  int fd;
  const statements_t *statements;
  /* The session's id, the last argument of every call: a door's sessions share one function. */
  int session;
} session_event_t;

static int event_args(napi_env env, void *data, napi_value *argv) {
  session_event_t *e = data;
  napi_create_string_utf8(env, e->kind, NAPI_AUTO_LENGTH, &argv[0]);
  if (e->batch) {
    void *copy;
    napi_create_buffer_copy(env, bytes_pending(e->batch), e->batch->p + e->batch->off, &copy, &argv[1]);
  } else if (e->text) napi_create_string_utf8(env, e->text, NAPI_AUTO_LENGTH, &argv[1]);
  else if (e->fd >= 0) napi_create_int32(env, e->fd, &argv[1]);
  else napi_get_undefined(env, &argv[1]);
  napi_create_int32(env, e->attempt, &argv[2]);
  napi_create_int32(env, e->session, &argv[4]);
  if (!e->statements) napi_get_undefined(env, &argv[3]);
  else if (e->statements->lost) napi_get_null(env, &argv[3]);
  else {
    /* latin1: each byte of a name is one character, so JavaScript can send it back unchanged. */
    napi_create_array_with_length(env, e->statements->n, &argv[3]);
    for (size_t i = 0; i < e->statements->n; i++) {
      napi_value name;
      napi_create_string_latin1(env, e->statements->names[i], NAPI_AUTO_LENGTH, &name);
      napi_set_element(env, argv[3], (uint32_t)i, name);
    }
  }
  return 5;
}

static void emit(session_t *s, session_event_t *e, js_result_fn take) {
  if (s->before_first_event) {
    void (*before)(void *) = s->before_first_event;
    s->before_first_event = NULL;
    before(s->before_first_event_ctx);
  }
  e->session = s->id;
  js_callback_call(&s->cb, 5, event_args, take, e);
}

static void take_delay(napi_env env, napi_value result, void *data) {
  session_event_t *e = data;
  double d;
  if (result && napi_get_value_double(env, result, &d) == napi_ok) e->delay = d;
}

/* ---------- teardown ---------- */

static void session_free(session_t *s) {
  bytes_free(&s->c2u);
  bytes_free(&s->u2c);
  bytes_free(&s->notice);
  bytes_free(&s->lost);
  bytes_free(&s->batch);
  bytes_free(&s->held);
  statements_free(&s->statements);
  free(s->started);
  free(s->held_errors.v);
  free(s->durations.v);
  free(s->errors.v);
  js_callback_free(&s->cb);
  free(s);
}

/* One of the session's handles (polls, timer, io_uring endpoints) is gone. */
static void release_handle(session_t *s) {
  if (--s->open_handles > 0) return;
  /* Every handle is closed: the session's last stats are read in the 'end' call, then it goes. */
  session_event_t e = {"end", NULL, NULL, 0, -1, -1, NULL, 0};
  emit(s, &e, NULL);
  table_forget_session(s->id);
  session_free(s);
}

static void handle_closed(uv_handle_t *h) {
  session_t *s = h->data;
  free(h);
  release_handle(s);
}

static void endpoint_done(void *owner, ring_ep_t *ep, int clean) { release_handle(owner); }

static void close_upstream(session_t *s) {
  if (s->upstream_closed) return;
  s->upstream_closed = 1;
  if (s->ssl) SSL_free(s->ssl);
  s->ssl = NULL;
  if (s->upoll) {
    uv_close((uv_handle_t *)s->upoll, handle_closed);
    s->upoll = NULL;
  }
  /* An endpoint closes its descriptor once the kernel has let go of its operations. */
  if (s->uep) ring_ep_close(s->uep);
  else if (s->ufd >= 0) close(s->ufd);
  s->uep = NULL;
  s->ufd = -1;
}

static void teardown(session_t *s) {
  if (s->closed) return;
  s->closed = 1;
  if (s->in_tx) {
    s->in_tx = 0;
    s->tx_closed++;
  }
  close_upstream(s);
  if (s->bridge >= 0) close(s->bridge);
  s->bridge = -1;
  if (s->cssl) SSL_free(s->cssl);
  s->cssl = NULL;
  if (s->cpoll) uv_close((uv_handle_t *)s->cpoll, handle_closed);
  if (s->timer) uv_close((uv_handle_t *)s->timer, handle_closed);
  s->cpoll = NULL;
  s->timer = NULL;
  if (s->cep) ring_ep_close(s->cep);
  else if (s->cfd >= 0) close(s->cfd);
  s->cep = NULL;
  s->cfd = -1;
}

static void session_apply(session_t *s);
static void on_timer(uv_timer_t *t);

static void set_timer(session_t *s, timer_use_t use, uint64_t ms) {
  s->timer_use = use;
  uv_timer_start(s->timer, on_timer, ms, 0);
}

/* Ends the client with optional last words. What the client still sends is read and dropped
 * (closing with unread input would reset the connection and could lose those words); its own
 * close, or END_GRACE_MS, tears the session down. */
static void end_client(session_t *s, const char *last, size_t n) {
  s->ending = 1;
  close_upstream(s);
  s->client_paused = 0;
  if (last && n) bytes_append(&s->u2c, last, n);
  s->shutdown_after_flush = 1;
  set_timer(s, TIMER_END, END_GRACE_MS);
}

/* ---------- client to cluster ---------- */

static void upstream_gone(session_t *s);
static void flush_u2c(session_t *s);

static void flush_c2u(session_t *s) {
  s->write_wants_read = 0;
  while (!s->upstream_closed && bytes_pending(&s->c2u) > 0) {
    tls_step_t step = tls_write_step(s->ssl, &s->c2u);
    if (step == TLS_MOVED) continue;
    if (step == TLS_WANTS_READ) s->write_wants_read = 1;
    else if (step == TLS_CLOSED) upstream_gone(s);
    return;
  }
  if (bytes_pending(&s->c2u) == 0) {
    bytes_clear(&s->c2u);
    bytes_trim(&s->c2u, READ_CHUNK);
  }
}

static void client_message_start(void *ctx, int type) {
  session_t *s = ctx;
  if (type == QUERY) {
    s->queries++;
    push_started(s, uv_hrtime());
  } else if (type == SYNC) push_started(s, uv_hrtime());
  if (type == TERMINATE) s->said_goodbye = 1;
  else s->last_client_type = type;
}

/* Only captured with reuse on: the prepared statements the client made. */
static void client_statement(void *ctx, int type, const unsigned char *head, size_t n) {
  session_t *s = ctx;
  (void)type;
  statements_parsed(&s->statements, head, n);
}

static const scan_hooks_t client_hooks = {client_message_start, NULL, NULL, client_statement};

static void release_held(session_t *s, const char *outcome);

static void client_chunk(session_t *s, const unsigned char *p, size_t n) {
  if (!s->occ) {
    scan_bytes(&s->from_client, p, n);
    return;
  }
  int starts_clean = scan_at_boundary(&s->from_client) && !s->in_tx && s->started_n == 0 && !s->holding;
  scan_bytes(&s->from_client, p, n);
  int last = s->from_client.last_type;
  int ends_batch = scan_at_boundary(&s->from_client) && (last == QUERY || last == SYNC);
  s->recorded_bytes = starts_clean ? n : s->recorded_bytes + n;
  if (s->recorded_bytes > s->hold_limit) {
    s->recording = 0;
    bytes_clear(&s->batch);
  }
  /* The client moved on while an answer was held: that batch can no longer be sent again. */
  if (s->holding) release_held(s, "failed_otherwise");
  if (starts_clean && !s->recording) {
    s->recording = 1;
    bytes_clear(&s->batch);
  }
  if (s->recording) {
    bytes_append(&s->batch, p, n);
    if (ends_batch) {
      s->recording = 0;
      s->holding = 1;
      bytes_clear(&s->held);
      s->saw_conflict = 0;
      s->attempt = 0;
      s->held_ready_status = -1;
    }
  }
}

/* ---------- --reuse-connections ---------- */

/* The last thing the server sent was ReadyForQuery (or the login's, idle). */
static int upstream_at_ready(const session_t *s) {
  return scan_at_boundary(&s->from_upstream) && (s->from_upstream.last_type == READY_FOR_QUERY || s->from_upstream.last_type == 0);
}

/* Nothing passed between client and server since the session began: the connection is as the
 * login left it. */
static int untouched(const session_t *s) {
  return s->last_client_type == 0 && s->from_upstream.last_type == 0;
}

static const unsigned char TERMINATE_MESSAGE[5] = {TERMINATE, 0, 0, 0, 4};

/* The client's Terminate, just read, is the whole of c2u and follows a complete batch (Query or
 * Sync) that the server answered, idle outside a transaction, with nothing in flight or held:
 * then it is kept from the server, which may serve another client. Anything else (a transaction
 * open, answers outstanding, a Terminate after other bytes or split across reads) forgoes reuse
 * and the Terminate goes on, so that the server ends the session itself. */
static int withhold_terminate(session_t *s) {
  int clean_batch = s->last_client_type == 0 || s->last_client_type == QUERY || s->last_client_type == SYNC;
  int server_idle = s->started_n == 0 && s->last_ready_status == TX_IDLE && upstream_at_ready(s);
  int only_terminate = bytes_pending(&s->c2u) == sizeof TERMINATE_MESSAGE &&
                       memcmp(s->c2u.p + s->c2u.off, TERMINATE_MESSAGE, sizeof TERMINATE_MESSAGE) == 0;
  if (!clean_batch || !server_idle || !only_terminate || s->holding || s->ending || s->upstream_closed) return 0;
  if (s->keep_upstream == KEEP_UNTOUCHED && !untouched(s)) return 0;
  if (!scan_at_boundary(&s->from_client) || bytes_pending(&s->notice) > 0) return 0;
  bytes_clear(&s->c2u);
  return 1;
}

/* Gives the cluster connection back to JavaScript as a link with no bridge (its reset runs in
 * the addon, link_reset; the warm set parks it at the door), then ends the client as the server
 * would have on its Terminate. */
static void hand_back(session_t *s) {
  int link = link_adopt(s->cb.env, s->ssl, s->ufd, s->upoll, NULL, NULL, 0);
  if (link > 0) {
    s->ssl = NULL;
    s->ufd = -1;
    s->upoll = NULL;
    s->upstream_closed = 1;
    s->open_handles--; /* the poll handle now belongs to the link */
    session_event_t e = {untouched(s) ? "kept_untouched" : "kept", NULL, NULL, link, -1, -1, &s->statements, 0};
    emit(s, &e, NULL);
  }
}

/* On io_uring the cluster connection is handed back once the kernel has let go of its receive:
 * then on the usual socket transport again, or closed when anything came meanwhile. */
static void upstream_detached(void *owner, ring_ep_t *ep, int clean) {
  session_t *s = owner;
  s->upstream_closed = 0;
  if (clean && socket_bio_attach(s->ssl, s->ufd)) hand_back(s);
  close_upstream(s);
  release_handle(s);
}

static void keep_upstream(session_t *s) {
  if (s->uep) {
    /* Held open (upstream_closed stops every use) until upstream_detached. */
    s->upstream_closed = 1;
    ring_ep_t *ep = s->uep;
    s->uep = NULL;
    ring_ep_detach(ep, upstream_detached);
  } else {
    uv_poll_stop(s->upoll);
    s->uev = 0;
    hand_back(s);
  }
  end_client(s, NULL, 0);
  flush_u2c(s);
}

/* Reads what the client sent into c2u's free space: 1 when bytes came, 0 when it must wait, -1
 * when the client is gone (a half-close too: PostgreSQL connections are not half-duplex). */
static int client_recv(session_t *s) {
  if (s->cssl) {
    s->c_read_wants_write = 0;
    tls_step_t step = tls_read_step(s->cssl, &s->c2u, READ_CHUNK);
    if (step == TLS_MOVED) return 1;
    if (step == TLS_WANTS_WRITE) s->c_read_wants_write = 1;
    return step == TLS_CLOSED ? -1 : 0;
  }
  if (!bytes_reserve(&s->c2u, READ_CHUNK)) return -1;
  void *into = s->c2u.p + s->c2u.len;
  size_t room = s->c2u.cap - s->c2u.len;
  ssize_t n = s->cep ? ring_ep_read(s->cep, into, room) : recv(s->cfd, into, room, 0);
  if (n > 0) {
    s->c2u.len += (size_t)n;
    return 1;
  }
  return n < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
}

static void read_client(session_t *s) {
  while (!s->closed) {
    if (s->ending) {
      /* Read and dropped until the client closes. */
      bytes_clear(&s->c2u);
      int r = client_recv(s);
      bytes_clear(&s->c2u);
      if (r < 0) teardown(s);
      if (r <= 0) return;
      continue;
    }
    if (bytes_pending(&s->c2u) > 0 || s->client_paused) return;
    size_t before = s->c2u.len;
    int r = client_recv(s);
    if (r < 0) {
      teardown(s);
      return;
    }
    if (r == 0) return;
    size_t n = s->c2u.len - before;
    s->bytes_in += n;
    s->activity = 1;
    int goodbye_before = s->said_goodbye;
    client_chunk(s, (const unsigned char *)s->c2u.p + before, n);
    if (s->keep_upstream && s->said_goodbye && !goodbye_before && withhold_terminate(s)) {
      keep_upstream(s);
      return;
    }
    flush_c2u(s);
    /* A plain socket is read again when its poll says so; TLS may hold more already. */
    if (!s->cssl || !tls_buffered(s->cssl)) return;
  }
}

/* ---------- cluster to client ---------- */

static void flush_u2c(session_t *s) {
  s->c_write_wants_read = 0;
  while (!s->closed && bytes_pending(&s->u2c) > 0) {
    if (s->cssl) {
      tls_step_t step = tls_write_step(s->cssl, &s->u2c);
      if (step == TLS_MOVED) continue;
      if (step == TLS_WANTS_READ) s->c_write_wants_read = 1;
      else if (step == TLS_CLOSED) teardown(s);
      return;
    }
    const void *from = s->u2c.p + s->u2c.off;
    size_t len = bytes_pending(&s->u2c);
    ssize_t n = s->cep ? ring_ep_write(s->cep, from, len) : send(s->cfd, from, len, MSG_NOSIGNAL);
    if (n > 0) {
      s->u2c.off += n;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    teardown(s);
    return;
  }
  if (s->closed) return;
  bytes_clear(&s->u2c);
  bytes_trim(&s->u2c, READ_CHUNK);
  if (s->shutdown_after_flush && !s->client_shut) {
    s->client_shut = 1;
    if (s->cssl) SSL_shutdown(s->cssl); /* close_notify, as Node's TLS socket sends on end() */
    ERR_clear_error();
    if (s->cep) ring_ep_shutdown(s->cep);
    else shutdown(s->cfd, SHUT_WR);
  }
}

static void upstream_message_start(void *ctx, int type) {
  session_t *s = ctx;
  if ((type == COPY_IN_RESPONSE || type == COPY_BOTH_RESPONSE) && s->holding) s->held_needs_client = 1;
  if (type == READY_FOR_QUERY) {
    uint64_t t0;
    if (shift_started(s, &t0)) push_double(&s->durations, (double)(uv_hrtime() - t0) / 1e9);
  }
}

static void upstream_ready(void *ctx, int status) {
  session_t *s = ctx;
  if (s->holding) s->held_ready_status = status;
  s->last_ready_status = status;
  int now = status == TX_IN_BLOCK || status == TX_FAILED;
  if (now == s->in_tx) return;
  s->in_tx = now;
  if (now) s->tx_opened++;
  else s->tx_closed++;
}

static void upstream_error(void *ctx, const unsigned char *head, size_t n) {
  session_t *s = ctx;
  char code[6];
  int has = sqlstate_of(head, n, code);
  if (s->holding) {
    /* Reported once the client gets it: a conflict that a retry overcomes is no client error. */
    if (is_occ_conflict(head, n)) s->saw_conflict = 1;
    if (has) push_code(&s->held_errors, code);
  } else if (has) push_code(&s->errors, code);
}

static const scan_hooks_t upstream_hooks = {upstream_message_start, upstream_ready, upstream_error, NULL};

static void release_held(session_t *s, const char *outcome) {
  for (size_t i = 0; i < s->held_errors.n; i++) push_code(&s->errors, s->held_errors.v[i]);
  s->held_errors.n = 0;
  s->held_ready_status = -1;
  if (outcome && s->attempt > 0) {
    session_event_t e = {"outcome", outcome, NULL, s->attempt, -1, -1, NULL, 0};
    emit(s, &e, NULL);
  }
  bytes_append(&s->u2c, s->held.p + s->held.off, bytes_pending(&s->held));
  bytes_clear(&s->held);
  bytes_trim(&s->held, READ_CHUNK);
  s->holding = 0;
  bytes_clear(&s->batch);
  s->attempt = 0;
  s->saw_conflict = 0;
}

/* A chunk read while the answer is held: kept, released, or the batch goes again. */
static void hold_or_retry(session_t *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s->held.p + s->held.len - n;
  int overflow = bytes_pending(&s->held) > s->hold_limit;
  scan_bytes(&s->from_upstream, p, n);
  if (s->closed) return;
  if (overflow) {
    release_held(s, "failed_otherwise");
    return;
  }
  if (s->held_needs_client && s->held_ready_status == -1) {
    s->held_needs_client = 0;
    release_held(s, "failed_otherwise");
    return;
  }
  s->held_needs_client = 0;
  if (s->held_ready_status == -1) return;
  int at_chunk_end = scan_at_boundary(&s->from_upstream) && s->from_upstream.last_type == READY_FOR_QUERY;
  int status = s->held_ready_status;
  s->held_ready_status = -1;
  int conflict = s->saw_conflict && status == TX_IDLE && at_chunk_end;
  if (conflict) {
    session_event_t e = {"retry", NULL, &s->batch, s->attempt, -1, -1, NULL, 0};
    emit(s, &e, take_delay);
    if (e.delay >= 0 && !s->closed && !s->ending) {
      s->attempt++;
      bytes_clear(&s->held);
      s->held_errors.n = 0;
      s->saw_conflict = 0;
      /* Nothing of the failed attempt reached the client; it waits while the batch goes again. */
      s->client_paused = 1;
      set_timer(s, TIMER_RETRY, (uint64_t)e.delay);
      return;
    }
  }
  const char *outcome = s->attempt == 0 ? NULL : conflict ? "exhausted" : s->saw_conflict ? "failed_otherwise" : "succeeded";
  release_held(s, outcome);
}

static void upstream_chunk(session_t *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s->u2c.p + s->u2c.len - n;
  s->bytes_out += n;
  s->activity = 1;
  if (s->occ && s->holding) {
    /* Moved out of the outgoing queue into the held answer. */
    s->u2c.len -= n;
    bytes_append(&s->held, p, n);
    hold_or_retry(s, n);
  } else {
    /* An answer that starts before the client's batch is complete (after a Flush, say) has
     * reached the client, so that batch must never be sent again. */
    if (s->recording) {
      s->recording = 0;
      bytes_clear(&s->batch);
    }
    scan_bytes(&s->from_upstream, p, n);
  }
  if (bytes_pending(&s->notice) > 0 && scan_at_boundary(&s->from_upstream)) {
    bytes_append(&s->u2c, s->notice.p + s->notice.off, bytes_pending(&s->notice));
    bytes_free(&s->notice);
  }
}

static void read_upstream(session_t *s) {
  s->read_wants_write = 0;
  while (!s->closed && !s->ending && !s->upstream_closed && bytes_pending(&s->u2c) == 0) {
    size_t before = s->u2c.len;
    tls_step_t step = tls_read_step(s->ssl, &s->u2c, READ_CHUNK);
    if (step == TLS_MOVED) {
      upstream_chunk(s, s->u2c.len - before);
      flush_u2c(s);
      /* Only TLS's own buffer needs this loop; an empty one would cost a read() that says EAGAIN. */
      if (s->ssl && !tls_buffered(s->ssl)) return;
      continue;
    }
    if (step == TLS_WANTS_WRITE) s->read_wants_write = 1;
    else if (step == TLS_CLOSED) upstream_gone(s);
    return;
  }
}

/* The server ended the connection. If it said why (a FATAL ErrorResponse), the client has that
 * already; if not, it gets the proxy's own error rather than a bare close. A client that sent
 * Terminate expects only the close. */
static void upstream_gone(session_t *s) {
  if (s->closed || s->ending) {
    close_upstream(s);
    return;
  }
  int explain = !s->said_goodbye && s->from_upstream.last_type != ERROR_RESPONSE && scan_at_boundary(&s->from_upstream);
  end_client(s, explain ? s->lost.p : NULL, explain ? s->lost.len : 0);
}

/* ---------- events ---------- */

static void client_event(void *owner, int status, int events) {
  session_t *s = owner;
  if (s->closed) return;
  if (status < 0) {
    teardown(s);
    return;
  }
  /* With TLS either event may be what the other operation waits for. */
  if ((events & UV_WRITABLE) || s->c_write_wants_read) {
    flush_u2c(s);
    if (!s->closed && bytes_pending(&s->u2c) == 0) read_upstream(s);
  }
  if (!s->closed && ((events & UV_READABLE) || s->c_read_wants_write)) read_client(s);
  session_apply(s);
}

static void upstream_event(void *owner, int status, int events) {
  session_t *s = owner;
  if (s->closed || s->upstream_closed) return;
  if (status < 0) {
    upstream_gone(s);
    session_apply(s);
    return;
  }
  if (bytes_pending(&s->c2u) > 0) {
    flush_c2u(s);
    /* The client's TLS may hold the rest of what it sent: no poll would announce it. */
    if (bytes_pending(&s->c2u) == 0 && s->cssl && tls_buffered(s->cssl)) read_client(s);
  }
  if (!s->closed && !s->upstream_closed) read_upstream(s);
  session_apply(s);
}

static void on_client(uv_poll_t *h, int status, int events) { client_event(h->data, status, events); }
static void on_upstream(uv_poll_t *h, int status, int events) { upstream_event(h->data, status, events); }

static void on_timer(uv_timer_t *t) {
  session_t *s = t->data;
  if (s->closed) return;
  timer_use_t use = s->timer_use;
  s->timer_use = TIMER_IDLE;
  if (use == TIMER_END) {
    teardown(s);
    return;
  }
  if (use == TIMER_RETRY) {
    if (s->ending) return;
    push_started(s, uv_hrtime());
    bytes_append(&s->c2u, s->batch.p + s->batch.off, bytes_pending(&s->batch));
    s->client_paused = 0;
  }
  /* TIMER_START and after a retry: both directions move, and TLS may hold decrypted bytes that no
   * poll would announce. */
  flush_c2u(s);
  flush_u2c(s);
  if (!s->closed && bytes_pending(&s->u2c) == 0) read_upstream(s);
  if (!s->closed && s->cssl && tls_buffered(s->cssl)) read_client(s);
  session_apply(s);
}

static void session_apply(session_t *s) {
  if (s->closed) return;
  unsigned cev = 0, uev = 0;
  if (s->ending) cev = UV_READABLE;
  else if (bytes_pending(&s->c2u) == 0 && !s->client_paused) cev = UV_READABLE;
  if (s->c_write_wants_read) cev |= UV_READABLE;
  if ((bytes_pending(&s->u2c) > 0 && !s->c_write_wants_read) || s->c_read_wants_write) cev |= UV_WRITABLE;
  if (!s->upstream_closed && !s->ending) {
    if (bytes_pending(&s->u2c) == 0 || s->write_wants_read) uev |= UV_READABLE;
    if ((bytes_pending(&s->c2u) > 0 && !s->write_wants_read) || s->read_wants_write) uev |= UV_WRITABLE;
  }
  if (s->cep) ring_ep_want(s->cep, cev);
  else if (cev != s->cev && s->cpoll) {
    s->cev = cev;
    if (cev) uv_poll_start(s->cpoll, cev, on_client);
    else uv_poll_stop(s->cpoll);
  }
  if (s->uep) {
    if (!s->upstream_closed) ring_ep_want(s->uep, uev);
  } else if (uev != s->uev && s->upoll) {
    s->uev = uev;
    if (uev) uv_poll_start(s->upoll, uev, on_upstream);
    else uv_poll_stop(s->upoll);
  }
}

/* ---------- the API ---------- */

/* Moves both sockets onto the loop's io_uring; where that cannot be done the polls stay. */
static void use_ring(session_t *s) {
  ring_ep_t *cep = ring_ep_open(s->cfd, s, client_event, endpoint_done);
  ring_ep_t *uep = ring_ep_open(s->ufd, s, upstream_event, endpoint_done);
  if (!cep || !uep || !ring_ep_attach_tls(uep, s->ssl) || (s->cssl && !ring_ep_attach_tls(cep, s->cssl))) {
    /* Out of memory: the sockets' own transport again, whichever was replaced. */
    if (cep) ring_ep_abandon(cep);
    if (uep) ring_ep_abandon(uep);
    socket_bio_attach(s->ssl, s->ufd);
    if (s->cssl) socket_bio_attach(s->cssl, s->cfd);
    return;
  }
  s->cep = cep;
  s->uep = uep;
  s->open_handles += 2;
}

session_t *session_start(napi_env env, link_parts_t *up, link_parts_t *client, int client_fd, const session_options_t *o, napi_value callback, int id) {
  session_t *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->id = id;
  s->cfd = client ? client->fd : dup(client_fd);
  if (s->cfd < 0 || js_callback_init(&s->cb, env, callback, "aurora-pg-proxy:relay") != 0) {
    if (s->cfd >= 0 && !client) close(s->cfd);
    free(s);
    return NULL;
  }
  if (!client) {
    fcntl(s->cfd, F_SETFD, FD_CLOEXEC);
    fcntl(s->cfd, F_SETFL, fcntl(s->cfd, F_GETFL) | O_NONBLOCK);
  }
  s->ssl = up->ssl;
  s->ufd = up->fd;
  s->bridge = up->bridge;
  s->upoll = up->poll;
  s->upoll->data = s;
  s->occ = o->occ;
  s->hold_limit = o->hold_limit;
  s->held_ready_status = -1;
  s->keep_upstream = o->keep_upstream;
  s->before_first_event = o->before_first_event;
  s->before_first_event_ctx = o->before_first_event_ctx;
  s->last_ready_status = TX_IDLE;
  scan_init(&s->from_client, &client_hooks, s, 0);
  if (s->keep_upstream == KEEP_CLEAN) scan_capture(&s->from_client, PARSE, -1);
  scan_init(&s->from_upstream, &upstream_hooks, s, 1);
  bytes_append(&s->lost, o->lost_message, o->lost_message_len);
  /* To the client, in the order it was meant to arrive: what JavaScript wrote on the client's bridge
   * (the login answer), the login's read-ahead, then what the cluster's bridge still held. The
   * proxy's own frames are not scanned; the server's are, since they may end a round trip. */
  if (client) bytes_append(&s->u2c, client->to_peer.p, client->to_peer.len);
  bytes_append(&s->u2c, o->greeting, o->greeting_len);
  bytes_append(&s->u2c, o->to_client, o->to_client_len);
  bytes_append(&s->u2c, up->from_peer.p, up->from_peer.len);
  scan_bytes(&s->from_upstream, (const unsigned char *)o->to_client, o->to_client_len);
  scan_bytes(&s->from_upstream, (const unsigned char *)up->from_peer.p, up->from_peer.len);
  /* To the cluster: what JavaScript wrote on the cluster's bridge, then what the client sent ahead
   * (read by JavaScript, then still in the client's bridge). */
  bytes_append(&s->c2u, up->to_peer.p, up->to_peer.len);
  const char *ahead[2] = {o->to_upstream, client ? client->from_peer.p : NULL};
  size_t ahead_len[2] = {o->to_upstream_len, client ? client->from_peer.len : 0};
  for (int i = 0; i < 2; i++) {
    if (ahead_len[i] == 0) continue;
    bytes_append(&s->c2u, ahead[i], ahead_len[i]);
    s->bytes_in += ahead_len[i];
    scan_bytes(&s->from_client, (const unsigned char *)ahead[i], ahead_len[i]);
  }
  bytes_free(&up->from_peer);
  bytes_free(&up->to_peer);
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  if (client) {
    s->cssl = client->ssl;
    s->cpoll = client->poll;
    bytes_free(&client->from_peer);
    bytes_free(&client->to_peer);
  } else {
    s->cpoll = malloc(sizeof *s->cpoll);
    uv_poll_init_socket(loop, s->cpoll, s->cfd);
  }
  s->cpoll->data = s;
  s->timer = malloc(sizeof *s->timer);
  uv_timer_init(loop, s->timer);
  s->timer->data = s;
  s->open_handles = 3; /* client poll, cluster poll, timer */
  if (ring_ready(loop)) use_ring(s);
  /* Nothing else moves inside this call: JavaScript hears of the session only once it has its id.
   * A greeting goes out now, though, so that the client is not kept waiting for whatever
   * JavaScript does before the loop turns; what the socket does not take, or an error, is left to
   * the start. */
  if (o->greeting_len > 0 && !s->cssl) {
    ssize_t n = send(s->cfd, s->u2c.p + s->u2c.off, bytes_pending(&s->u2c), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) s->u2c.off += (size_t)n;
  }
  set_timer(s, TIMER_START, 0);
  return s;
}

void session_announced(session_t *s) { s->before_first_event = NULL; }

void session_notice(session_t *s, const char *msg, size_t n) {
  if (s->closed || s->ending) return;
  if (scan_at_boundary(&s->from_upstream)) {
    bytes_append(&s->u2c, msg, n);
    flush_u2c(s);
    session_apply(s);
  } else {
    bytes_clear(&s->notice);
    bytes_append(&s->notice, msg, n);
  }
}

void session_terminate(session_t *s, const char *msg, size_t n) {
  if (s->closed || s->ending) return;
  /* Mid-message, an extra frame would corrupt the stream; then closing is all that is left. */
  if (scan_at_boundary(&s->from_upstream)) {
    end_client(s, msg, n);
    flush_u2c(s);
    session_apply(s);
  } else teardown(s);
}

static void set_number(napi_env env, napi_value obj, const char *name, double v) {
  napi_value x;
  napi_create_double(env, v, &x);
  napi_set_named_property(env, obj, name, x);
}

napi_value session_stats(napi_env env, session_t *s) {
  napi_value obj;
  napi_create_object(env, &obj);
  set_number(env, obj, "queries", (double)s->queries);
  set_number(env, obj, "bytesIn", (double)s->bytes_in);
  set_number(env, obj, "bytesOut", (double)s->bytes_out);
  set_number(env, obj, "transactionsOpened", (double)s->tx_opened);
  set_number(env, obj, "transactionsClosed", (double)s->tx_closed);
  napi_value flag;
  napi_get_boolean(env, s->activity, &flag);
  napi_set_named_property(env, obj, "active", flag);
  if (s->durations.n > 0) {
    napi_value ab, arr;
    void *data;
    napi_create_arraybuffer(env, s->durations.n * sizeof(double), &data, &ab);
    memcpy(data, s->durations.v, s->durations.n * sizeof(double));
    napi_create_typedarray(env, napi_float64_array, s->durations.n, ab, 0, &arr);
    napi_set_named_property(env, obj, "durations", arr);
  }
  if (s->errors.n > 0) {
    napi_value arr;
    napi_create_array_with_length(env, s->errors.n, &arr);
    for (size_t i = 0; i < s->errors.n; i++) {
      napi_value code;
      napi_create_string_utf8(env, s->errors.v[i], NAPI_AUTO_LENGTH, &code);
      napi_set_element(env, arr, (uint32_t)i, code);
    }
    napi_set_named_property(env, obj, "errors", arr);
  }
  s->queries = s->bytes_in = s->bytes_out = s->tx_opened = s->tx_closed = 0;
  s->activity = 0;
  s->durations.n = 0;
  s->errors.n = 0;
  if (s->durations.cap > 4096) {
    free(s->durations.v);
    s->durations.v = NULL;
    s->durations.cap = 0;
  }
  return obj;
}
