/* The native front door of a listener whose logins a warm connection can answer at once. The
 * addon accepts the clients on the listening socket itself and reads each one's first packet. The
 * warm set parks its idle connections here, each under the canonical form of its startup
 * parameters (every name and value, by name, each followed by a zero byte): a StartupMessage that
 * matches one is answered on the spot by a session started here, with no JavaScript on the way:
 * JavaScript hands cancel keys over ahead (door_grant) and says how many more clients it may take
 * (door_room, from --max-connections). It hears of each session a moment later ("answered",
 * announce_ms after, or before the session's first event, or when it asks: door_settle), so
 * that its bookkeeping (a few tenths of a millisecond, run cold) does not stand between the
 * client and its first query. Anything else is handed to JavaScript as it is (descriptor, first
 * bytes), to become an ordinary Node socket and go the listener's usual way. Node's accept, its
 * socket, its first read and the JavaScript of a login took about 1.4 ms of a warm hit here,
 * against pgbouncer's whole hit of about 2 ms. */
#define _GNU_SOURCE /* accept4 */
#include "pgrelay.h"
#include "ring.h"
#include "socket-bio.h"
#include "tls-io.h"
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A StartupMessage is far smaller; what a client sends beyond it in the same write comes along. */
#define FIRST_READ 16384
/* While the descriptor limit is reached, accepting waits this long before trying again. */
#define RETRY_ACCEPT_MS 100
#define PROTOCOL_3_0 196608
#define SSL_REQUEST_CODE 80877103
/* A StartupMessage with more parameters than this goes the usual way. */
#define MAX_PARAMETERS 64
/* The most cancel keys JavaScript may hand over ahead. */
#define KEY_STOCK 64

typedef struct park {
  int id;
  int link;
  door_t *door;
  bytes_t key;
  /* The login's answer as the server gave it, ReadyForQuery apart: the BackendKeyData goes between. */
  bytes_t frames;
  bytes_t ready;
  struct park *next;
} park_t;

/* A client accepted here that has not been answered: waiting for its first bytes, or held. */
typedef struct waiting {
  uv_poll_t poll;
  int fd;
  uint64_t since_ms;
  door_t *door;
  /* Held: its StartupMessage (in `first`, `startup_len` long, with what came after it) asks for
   * a key whose connection is being reset, and it waits for that connection to be parked. */
  int held;
  bytes_t first, key;
  size_t startup_len;
  /* The client's TLS, run here since its SSLRequest was answered 'S' (NULL: a plain client); once
   * tls_ready, `first` collects the plaintext of its StartupMessage. */
  SSL *ssl;
  int tls_ready;
  uint64_t accepted_ms;
  struct waiting *prev, *next;
} waiting_t;

/* A client as the door passes it on: its socket, and its TLS when the door ran it (then also when
 * it was accepted: JavaScript's startup timeout counts from there). */
typedef struct {
  int fd;
  SSL *ssl;
  uint64_t accepted_ms;
} client_t;

/* A key whose connections are being reset (--reuse-connections), and how many: a client asking
 * for it is held for one instead of going the usual way to wait there. A client that connects
 * once per request comes back while its last connection is still being reset. */
typedef struct resetting {
  bytes_t key;
  int count;
  struct resetting *next;
} resetting_t;

typedef struct {
  int32_t process_id, secret_key;
} cancel_key_t;

/* "address:port", as the listener's log lines name a client. */
#define PEER_TEXT 64
/* Keepalive probes on clients' connections after this long idle, as the listener sets them. */
#define KEEPALIVE_IDLE_S 60

/* A session started here that JavaScript has not heard of yet. */
typedef struct answer {
  int park, session, fd, tls;
  cancel_key_t key;
  char peer[PEER_TEXT];
  struct answer *next;
} answer_t;

struct door {
  uv_poll_t poll;
  /* Runs while clients are waiting for their first bytes or held, or accepting is paused. */
  uv_timer_t timer;
  uv_timer_t announce_timer;
  /* Serves the held clients on the loop's next turn, never inside a call from JavaScript. */
  uv_timer_t serve_timer;
  uint64_t reset_wait_ms;
  uint64_t announce_ms;
  int fd;
  int closed;
  int open_handles;
  uint64_t handoff_ms;
  SSL_CTX *tls_ctx;
  uint64_t tls_timeout_ms;
  napi_env env;
  js_callback_t cb;
  /* The function every session started here reports to (the session's id comes last). */
  napi_ref session_events;
  bytes_t lost_message;
  int occ;
  size_t hold_limit;
  int keep_clean;
  waiting_t *waiting, *held;
  int held_count;
  /* Held clients so far, by how their hold ended (door_holds), and their waits added up. */
  uint64_t holds[DOOR_HOLD_OUTCOMES];
  uint64_t held_ms[DOOR_HOLD_OUTCOMES];
  resetting_t *resetting;
  park_t *parks;
  /* How many more clients JavaScript lets the door answer, those not yet announced included. */
  int room;
  int unannounced;
  cancel_key_t keys[KEY_STOCK];
  int key_count;
  answer_t *answers, **answers_end;
};

typedef struct {
  int fd;
  const char *bytes;
  size_t n;
} arrival_t;

static int arrival_args(napi_env env, void *data, napi_value *argv) {
  arrival_t *a = data;
  void *copy;
  napi_create_string_utf8(env, "client", NAPI_AUTO_LENGTH, &argv[0]);
  napi_create_int32(env, a->fd, &argv[1]);
  napi_create_buffer_copy(env, a->n, a->n ? a->bytes : "", &copy, &argv[2]);
  return 3;
}

/* The descriptor and its first bytes go to JavaScript, which owns the descriptor from here on. */
static void hand_over(door_t *d, int fd, const char *bytes, size_t n) {
  arrival_t a = {fd, bytes, n};
  js_callback_call(&d->cb, 3, arrival_args, NULL, &a);
}

static void free_handle(uv_handle_t *h) { free(h); }

/* How a TLS client of the door's failed before its startup (tls_failed). */
enum { TLS_FAILED = 0, TLS_PEER_CLOSED = 1, TLS_TIMED_OUT = 2 };

/* ("tls-client", fd, link, bridge, ms since accept) or ("tls-failed", fd, why, TLS_*, ms). */
typedef struct {
  const char *kind;
  int fd, link, js_end;
  const char *why;
  int how;
  uint64_t waited_ms;
} tls_event_t;

static int tls_event_args(napi_env env, void *data, napi_value *argv) {
  tls_event_t *e = data;
  napi_create_string_utf8(env, e->kind, NAPI_AUTO_LENGTH, &argv[0]);
  napi_create_int32(env, e->fd, &argv[1]);
  if (e->why) {
    napi_create_string_utf8(env, e->why, NAPI_AUTO_LENGTH, &argv[2]);
    napi_create_int32(env, e->how, &argv[3]);
  } else {
    napi_create_int32(env, e->link, &argv[2]);
    napi_create_int32(env, e->js_end, &argv[3]);
  }
  napi_create_double(env, (double)e->waited_ms, &argv[4]);
  return 5;
}

static uint64_t since(door_t *d, uint64_t ms) { return uv_now(d->poll.loop) - ms; }

/* A client whose TLS failed, or that left before its startup: JavaScript records it as it would
 * one of its own, and owns the descriptor from here on. */
static void tls_failed(door_t *d, client_t c, const char *why, int how) {
  tls_event_t e = {"tls-failed", c.fd, -1, -1, why, how, since(d, c.accepted_ms)};
  js_callback_call(&d->cb, 5, tls_event_args, NULL, &e);
}

/* A client whose TLS the door ran and did not answer: JavaScript gets a duplicate of its
 * descriptor (for its records; it never reads it) and the link its plaintext now runs through,
 * which begins with what the door read of it. */
static void hand_over_tls(door_t *d, client_t c, const char *bytes, size_t n) {
  int js_fd = fcntl(c.fd, F_DUPFD_CLOEXEC, 0);
  int failure = js_fd < 0 ? errno : ENOMEM;
  uv_poll_t *poll = js_fd >= 0 ? malloc(sizeof *poll) : NULL;
  int js_end = -1, link = -1;
  if (poll && uv_poll_init_socket(d->poll.loop, poll, c.fd) == 0) {
    errno = 0;
    link = link_adopt(d->env, c.ssl, c.fd, poll, &js_end, bytes, n);
    if (link < 0) {
      failure = errno ? errno : ENOMEM;
      uv_close((uv_handle_t *)poll, free_handle);
    }
  } else free(poll);
  if (link < 0) {
    /* Out of resources (descriptors, most likely): recorded as the usual path's TLS would be. */
    SSL_free(c.ssl);
    if (js_fd >= 0) close(js_fd);
    tls_failed(d, c, strerror(failure), TLS_FAILED);
    return;
  }
  tls_event_t e = {"tls-client", js_fd, link, js_end, NULL, 0, since(d, c.accepted_ms)};
  js_callback_call(&d->cb, 5, tls_event_args, NULL, &e);
}

static void hand_over_client(door_t *d, client_t c, const char *bytes, size_t n) {
  if (c.ssl) hand_over_tls(d, c, bytes, n);
  else hand_over(d, c.fd, bytes, n);
}

/* ---------- answering from a parked connection ---------- */

typedef struct {
  const char *kind;
  int park, session, fd;
  cancel_key_t key;
  const char *peer;
  int tls;
} door_event_t;

static int door_event_args(napi_env env, void *data, napi_value *argv) {
  door_event_t *e = data;
  napi_create_string_utf8(env, e->kind, NAPI_AUTO_LENGTH, &argv[0]);
  napi_create_int32(env, e->park, &argv[1]);
  napi_create_int32(env, e->session, &argv[2]);
  napi_create_int32(env, e->fd, &argv[3]);
  napi_create_int32(env, e->key.process_id, &argv[4]);
  napi_create_int32(env, e->key.secret_key, &argv[5]);
  napi_create_string_utf8(env, e->peer ? e->peer : "", NAPI_AUTO_LENGTH, &argv[6]);
  napi_get_boolean(env, e->tls, &argv[7]);
  return 8;
}

static void tell_peer(door_t *d, const char *kind, int park, int session, int fd, cancel_key_t key, const char *peer, int tls) {
  door_event_t e = {kind, park, session, fd, key, peer, tls};
  js_callback_call(&d->cb, 8, door_event_args, NULL, &e);
}

static void tell(door_t *d, const char *kind, int park, int session, int fd, cancel_key_t key) { tell_peer(d, kind, park, session, fd, key, NULL, 0); }

/* The client's address as "address:port" ("" when it cannot be had: the client left already). */
static void peer_text(int fd, char out[PEER_TEXT]) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  char host[INET6_ADDRSTRLEN] = "";
  out[0] = 0;
  if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0) return;
  if (ss.ss_family == AF_INET) {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    if (inet_ntop(AF_INET, &a->sin_addr, host, sizeof host)) snprintf(out, PEER_TEXT, "%s:%u", host, ntohs(a->sin_port));
  } else if (ss.ss_family == AF_INET6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    if (inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host)) snprintf(out, PEER_TEXT, "%s:%u", host, ntohs(a->sin6_port));
  }
}

static uint32_t be32(const char *p) {
  const unsigned char *u = (const unsigned char *)p;
  return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

static void put_be32(char *p, uint32_t v) {
  p[0] = (char)(v >> 24);
  p[1] = (char)(v >> 16);
  p[2] = (char)(v >> 8);
  p[3] = (char)v;
}

typedef struct {
  const char *name, *value;
  size_t name_len, value_len;
} parameter_t;

static int by_name(const parameter_t *a, const parameter_t *b) {
  size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
  int c = memcmp(a->name, b->name, n);
  return c != 0 ? c : (a->name_len > b->name_len) - (a->name_len < b->name_len);
}

/* A first packet the door may answer: a whole protocol 3.0 StartupMessage with a user, no
 * protocol options to negotiate ("_pq_."), no replication, no name twice. Returns its length and
 * puts its canonical key in `key`; 0 for anything else, which goes the usual way. */
static size_t answerable_startup(const char *buf, size_t n, bytes_t *key) {
  if (n < 9) return 0;
  size_t len = be32(buf);
  if (len < 9 || len > n || len > 10000 || be32(buf + 4) != PROTOCOL_3_0 || buf[len - 1] != 0) return 0;
  parameter_t p[MAX_PARAMETERS];
  int count = 0, has_user = 0;
  size_t off = 8;
  while (off < len - 1) {
    parameter_t q;
    q.name = buf + off;
    q.name_len = strnlen(q.name, len - 1 - off);
    if (q.name_len == 0 || off + q.name_len >= len - 1) return 0;
    off += q.name_len + 1;
    q.value = buf + off;
    q.value_len = strnlen(q.value, len - 1 - off);
    if (off + q.value_len >= len) return 0;
    off += q.value_len + 1;
    if (count == MAX_PARAMETERS) return 0;
    if (q.name_len >= 5 && memcmp(q.name, "_pq_.", 5) == 0) return 0;
    if (q.name_len == 11 && memcmp(q.name, "replication", 11) == 0) return 0;
    if (q.name_len == 4 && memcmp(q.name, "user", 4) == 0) has_user = q.value_len > 0;
    /* Insertion by name keeps the few parameters of a startup in order as they come. */
    int i = count++;
    while (i > 0 && by_name(&p[i - 1], &q) > 0) {
      p[i] = p[i - 1];
      i--;
    }
    if (i > 0 && by_name(&p[i - 1], &q) == 0) return 0;
    p[i] = q;
  }
  if (off != len - 1 || !has_user) return 0;
  for (int i = 0; i < count; i++) {
    if (!bytes_append(key, p[i].name, p[i].name_len + 1) || !bytes_append(key, p[i].value, p[i].value_len + 1)) return 0;
  }
  return len;
}

static park_t **find_park(door_t *d, int id) {
  park_t **pp = &d->parks;
  while (*pp && (*pp)->id != id) pp = &(*pp)->next;
  return pp;
}

/* Takes the park out of the list and frees it; its link is no longer watched. */
static void drop_park(park_t **pp) {
  park_t *p = *pp;
  *pp = p->next;
  link_t *l = addon_link(p->link);
  if (l) link_unwatch(l);
  bytes_free(&p->key);
  bytes_free(&p->frames);
  bytes_free(&p->ready);
  free(p);
}

static const cancel_key_t NO_KEY = {0, 0};

/* A parked connection's server spoke or closed: it is of no use to a client any more. */
static void parked_link_changed(void *ctx, int what) {
  park_t *p = ctx;
  door_t *d = p->door;
  int id = p->id;
  drop_park(find_park(d, id));
  tell(d, what == LINK_HEARD ? "heard" : "gone", id, -1, -1, NO_KEY);
}

/* Tells JavaScript of every session it has not heard of yet, in the order they started. */
static void announce(door_t *d) {
  uv_timer_stop(&d->announce_timer);
  while (d->answers) {
    answer_t *a = d->answers;
    d->answers = a->next;
    if (!d->answers) d->answers_end = &d->answers;
    d->unannounced--;
    addon_session_announced(a->session);
    tell_peer(d, "answered", a->park, a->session, a->fd, a->key, a->peer, a->tls);
    free(a);
  }
}

static void announce_now(void *ctx) { announce(ctx); }
static void on_announce_timer(uv_timer_t *t) { announce(t->data); }

static int queue_answer(door_t *d, int park, int session, int fd, cancel_key_t key, int tls) {
  answer_t *a = calloc(1, sizeof *a);
  if (!a) return 0;
  a->park = park;
  a->session = session;
  a->fd = fd;
  a->tls = tls;
  a->key = key;
  peer_text(fd, a->peer);
  *d->answers_end = a;
  d->answers_end = &a->next;
  d->unannounced++;
  if (!uv_is_active((uv_handle_t *)&d->announce_timer)) uv_timer_start(&d->announce_timer, on_announce_timer, d->announce_ms, 0);
  return 1;
}

/* AuthenticationOk, the login's ParameterStatus, the client's own BackendKeyData, ReadyForQuery. */
static int build_greeting(bytes_t *out, const park_t *p, cancel_key_t key) {
  static const char AUTH_OK[9] = {'R', 0, 0, 0, 8, 0, 0, 0, 0};
  char key_data[13] = {'K', 0, 0, 0, 12};
  put_be32(key_data + 5, (uint32_t)key.process_id);
  put_be32(key_data + 9, (uint32_t)key.secret_key);
  return bytes_append(out, AUTH_OK, sizeof AUTH_OK) && bytes_append(out, p->frames.p + p->frames.off, bytes_pending(&p->frames)) &&
         bytes_append(out, key_data, sizeof key_data) && bytes_append(out, p->ready.p + p->ready.off, bytes_pending(&p->ready));
}

static int same_key(const bytes_t *a, const bytes_t *b) {
  return bytes_pending(a) == bytes_pending(b) && memcmp(a->p + a->off, b->p + b->off, bytes_pending(a)) == 0;
}

static park_t **find_park_for(door_t *d, const bytes_t *key) {
  park_t **pp = &d->parks;
  while (*pp && !same_key(&(*pp)->key, key)) pp = &(*pp)->next;
  return pp;
}

static resetting_t **find_resetting(door_t *d, const bytes_t *key) {
  resetting_t **rp = &d->resetting;
  while (*rp && !same_key(&(*rp)->key, key)) rp = &(*rp)->next;
  return rp;
}

/* The client may be answered now: a cancel key to give it, and room under --max-connections. */
static int can_answer(const door_t *d) { return !d->closed && d->key_count > 0 && d->room - d->unannounced > 0; }

/* Answers the client, whose first `n` bytes (its plaintext, for a TLS client) begin with a
 * StartupMessage `len` long whose canonical parameters are `key`, from a connection parked under
 * that key: 1 when the client was taken care of (a session runs, or it was told the connection
 * was lost), 0 when it goes another way (nothing was sent to it, and it is still the caller's). */
static int answer_from_park(door_t *d, client_t c, const char *buf, size_t n, size_t len, const bytes_t *key) {
  if (!can_answer(d)) return 0;
  park_t **pp = find_park_for(d, key);
  if (!*pp) return 0;
  park_t *p = *pp;
  int park = p->id, link = p->link;
  link_t *l = addon_link(link);
  if (!l || !link_is_ready(l)) {
    drop_park(pp);
    tell(d, "gone", park, -1, -1, NO_KEY);
    return 0;
  }
  cancel_key_t key_data = d->keys[--d->key_count];
  bytes_t greeting = {0};
  /* A TLS client's session takes its descriptor and TLS; JavaScript's records get a duplicate. */
  int js_fd = c.fd;
  uv_poll_t *poll = NULL;
  int ready = build_greeting(&greeting, p, key_data);
  if (ready && c.ssl) {
    js_fd = fcntl(c.fd, F_DUPFD_CLOEXEC, 0);
    poll = js_fd >= 0 ? malloc(sizeof *poll) : NULL;
    ready = poll && uv_poll_init_socket(d->poll.loop, poll, c.fd) == 0;
    if (!ready) {
      free(poll);
      if (js_fd >= 0) close(js_fd);
    }
  }
  if (!ready) {
    bytes_free(&greeting);
    d->key_count++;
    return 0;
  }
  /* A plain client's answer goes out first: the client reads it while the session is set up. A
   * TLS client's goes with the session's first turn. */
  ssize_t sent = c.ssl ? 0 : send(c.fd, greeting.p, greeting.len, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (sent < 0) sent = 0;
  session_options_t o;
  memset(&o, 0, sizeof o);
  o.greeting = greeting.p + sent;
  o.greeting_len = greeting.len - (size_t)sent;
  o.to_upstream = buf + len;
  o.to_upstream_len = n - len;
  o.lost_message = d->lost_message.p;
  o.lost_message_len = d->lost_message.len;
  o.occ = d->occ;
  o.hold_limit = d->hold_limit;
  o.keep_upstream = d->keep_clean ? KEEP_CLEAN : n == len ? KEEP_UNTOUCHED : KEEP_NEVER;
  o.keep_bridge = 1;
  o.before_first_event = announce_now;
  o.before_first_event_ctx = d;
  drop_park(pp);
  int session = -1;
  napi_handle_scope scope;
  napi_value events;
  napi_open_handle_scope(d->env, &scope);
  if (napi_get_reference_value(d->env, d->session_events, &events) == napi_ok) {
    session = c.ssl ? addon_start_session_tls(d->env, link, c.ssl, c.fd, poll, &o, events) : addon_start_session(d->env, link, c.fd, &o, events);
  }
  napi_close_handle_scope(d->env, scope);
  bytes_free(&greeting);
  if (session >= 0) {
    if (!queue_answer(d, park, session, js_fd, key_data, c.ssl != NULL)) {
      /* No memory to wait with: JavaScript hears of the session at once. */
      addon_session_announced(session);
      tell_peer(d, "answered", park, session, js_fd, key_data, NULL, c.ssl != NULL);
    }
    return 1;
  }
  /* The session could not start (out of resources): the connection is given up, and the client
   * too if it has had (part of) its answer. */
  d->key_count++;
  tell(d, "gone", park, -1, -1, NO_KEY);
  if (c.ssl) {
    uv_close((uv_handle_t *)poll, free_handle);
    close(js_fd);
    return 0;
  }
  if (sent == 0) return 0;
  if (send(c.fd, d->lost_message.p, d->lost_message.len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
    /* The client is gone already. */
  }
  close(c.fd);
  return 1;
}

/* ---------- clients held for a connection being reset ---------- */

static void waiting_closed(uv_handle_t *h) {
  waiting_t *w = h->data;
  SSL_free(w->ssl);
  bytes_free(&w->first);
  bytes_free(&w->key);
  free(w);
}

static void unlink_waiting(waiting_t *w) {
  door_t *d = w->door;
  waiting_t **head = w->held ? &d->held : &d->waiting;
  if (w->prev) w->prev->next = w->next;
  else *head = w->next;
  if (w->next) w->next->prev = w->prev;
  if (w->held) d->held_count--;
  uv_poll_stop(&w->poll);
  uv_close((uv_handle_t *)&w->poll, waiting_closed);
}

static void push_waiting(waiting_t **head, waiting_t *w) {
  w->prev = NULL;
  w->next = *head;
  if (*head) (*head)->prev = w;
  *head = w;
}

static void keep_timer(door_t *d);

/* Counts a hold that ended (door_holds). Clients still held when the door closes are not counted:
 * they are closed with it. */
static void held_end(door_t *d, int outcome, uint64_t since_ms) {
  d->holds[outcome]++;
  d->held_ms[outcome] += uv_now(d->poll.loop) - since_ms;
}

/* A held client leaves: answered from the connection parked for it when there is one, else
 * handed to JavaScript with its first bytes, as any client the door does not answer. */
static void let_go(waiting_t *w) {
  door_t *d = w->door;
  client_t c = {w->fd, w->ssl, w->accepted_ms};
  w->ssl = NULL;
  size_t len = w->startup_len;
  bytes_t first = w->first, key = w->key;
  memset(&w->first, 0, sizeof w->first);
  memset(&w->key, 0, sizeof w->key);
  uint64_t since_ms = w->since_ms;
  unlink_waiting(w);
  int answered = answer_from_park(d, c, first.p, first.len, len, &key);
  held_end(d, answered ? DOOR_HOLD_ANSWERED : DOOR_HOLD_LOGIN, since_ms);
  if (!answered) hand_over_client(d, c, first.p, first.len);
  bytes_free(&first);
  bytes_free(&key);
}

/* A held client spoke again or left. What it sent waits in its socket for its session; one that
 * left goes to JavaScript as a client that left before its startup, so that no connection is
 * given to it. */
static void on_held(uv_poll_t *p, int status, int events) {
  (void)events;
  waiting_t *w = p->data;
  door_t *d = w->door;
  char peek;
  ssize_t r = status == 0 ? recv(w->fd, &peek, 1, MSG_PEEK | MSG_DONTWAIT) : -1;
  if (r > 0) {
    uv_poll_stop(&w->poll);
    return;
  }
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  client_t c = {w->fd, NULL, w->accepted_ms};
  int tls = w->ssl != NULL;
  held_end(d, DOOR_HOLD_LEFT, w->since_ms);
  unlink_waiting(w);
  if (tls) tls_failed(d, c, "the client closed the connection", TLS_PEER_CLOSED);
  else hand_over(d, c.fd, NULL, 0);
  keep_timer(d);
}

void door_holds(const door_t *d, uint64_t out[2 * DOOR_HOLD_OUTCOMES]) {
  for (int i = 0; i < DOOR_HOLD_OUTCOMES; i++) {
    out[i] = d->holds[i];
    out[DOOR_HOLD_OUTCOMES + i] = d->held_ms[i];
  }
}

/* Holds the client when its key has a connection being reset and the room allows; takes `key`
 * (and the client's TLS, when it holds it). */
static int hold(door_t *d, client_t c, const char *buf, size_t n, size_t len, bytes_t *key) {
  resetting_t *r = *find_resetting(d, key);
  if (d->closed || !r || d->held_count + d->unannounced >= d->room) return 0;
  waiting_t *w = calloc(1, sizeof *w);
  uv_loop_t *loop = d->poll.loop;
  if (!w || !bytes_append(&w->first, buf, n) || uv_poll_init_socket(loop, &w->poll, c.fd) != 0) {
    if (w) bytes_free(&w->first);
    free(w);
    return 0;
  }
  w->key = *key;
  memset(key, 0, sizeof *key);
  w->held = 1;
  w->fd = c.fd;
  w->ssl = c.ssl;
  w->tls_ready = c.ssl != NULL;
  w->accepted_ms = c.accepted_ms;
  w->door = d;
  w->since_ms = uv_now(loop);
  w->startup_len = len;
  w->poll.data = w;
  push_waiting(&d->held, w);
  d->held_count++;
  uv_poll_start(&w->poll, UV_READABLE | UV_DISCONNECT, on_held);
  keep_timer(d);
  return 1;
}

/* Lets go, oldest first, the held clients whose connection is parked, whose key has no reset
 * left, or who waited reset_wait_ms. Each let_go may call JavaScript, which may change the lists:
 * the search starts again after each. */
static void serve_held(door_t *d) {
  uint64_t now = uv_now(d->poll.loop);
  while (!d->closed) {
    waiting_t *w = d->held, *due = NULL;
    while (w && w->next) w = w->next;
    for (; w && !due; w = w->prev) {
      if (*find_park_for(d, &w->key) || !*find_resetting(d, &w->key) || now - w->since_ms >= d->reset_wait_ms) due = w;
    }
    if (!due) break;
    let_go(due);
  }
  keep_timer(d);
}

static void on_serve_timer(uv_timer_t *t) { serve_held(t->data); }

static void serve_soon(door_t *d) {
  if (d->held && !d->closed) uv_timer_start(&d->serve_timer, on_serve_timer, 0, 0);
}

void door_resetting(door_t *d, const char *key, size_t key_len, int count) {
  if (d->closed) return;
  bytes_t wanted = {(char *)key, 0, key_len, key_len};
  resetting_t **rp = find_resetting(d, &wanted);
  if (count > 0) {
    if (!*rp) {
      resetting_t *r = calloc(1, sizeof *r);
      if (!r || !bytes_append(&r->key, key, key_len)) {
        free(r);
        return;
      }
      *rp = r;
    }
    (*rp)->count = count;
    return;
  }
  if (!*rp) return;
  resetting_t *r = *rp;
  *rp = r->next;
  bytes_free(&r->key);
  free(r);
  /* Nothing more is coming for this key: its held clients go the usual way. */
  serve_soon(d);
}

static int start_tls(door_t *d, int fd);

static int is_ssl_request(const char *buf, size_t n) { return n == 8 && be32(buf) == 8 && be32(buf + 4) == SSL_REQUEST_CODE; }

/* A client's first bytes (for a TLS client of the door's, its first plaintext): answered here,
 * held for a connection being reset, or handed to JavaScript. An SSLRequest gets its TLS here
 * when the door may answer it. */
static void arrived(door_t *d, client_t c, const char *buf, size_t n) {
  if (!c.ssl && is_ssl_request(buf, n) && start_tls(d, c.fd)) return;
  bytes_t key = {0};
  size_t len = !d->closed && (d->parks || d->resetting) ? answerable_startup(buf, n, &key) : 0;
  int taken = len && (answer_from_park(d, c, buf, n, len, &key) || hold(d, c, buf, n, len, &key));
  bytes_free(&key);
  if (!taken) hand_over_client(d, c, buf, n);
}

/* ---------- TLS for clients the door may answer ---------- */

/* Whether `b` holds a whole first packet, or as much as the door reads of one it would not answer. */
static int first_packet_read(const bytes_t *b) {
  size_t n = bytes_pending(b);
  if (n < 4) return 0;
  size_t len = be32(b->p + b->off);
  return len < 8 || len > 10000 || n >= len;
}

/* Gives up on a TLS client in its handshake; JavaScript records why. */
static void tls_give_up(waiting_t *w, const char *why, int how) {
  door_t *d = w->door;
  client_t c = {w->fd, NULL, w->accepted_ms};
  SSL_free(w->ssl);
  w->ssl = NULL;
  unlink_waiting(w);
  tls_failed(d, c, why, how);
  keep_timer(d);
}

/* A TLS client's first plaintext (whole, or what came within handoff_ms, or before it closed)
 * goes the way a plain client's first bytes go. */
static void tls_arrived(waiting_t *w) {
  door_t *d = w->door;
  client_t c = {w->fd, w->ssl, w->accepted_ms};
  bytes_t first = w->first;
  memset(&w->first, 0, sizeof w->first);
  w->ssl = NULL;
  unlink_waiting(w);
  arrived(d, c, first.p, first.len);
  bytes_free(&first);
  keep_timer(d);
}

static void on_tls(uv_poll_t *p, int status, int events) {
  (void)events;
  ring_catch_up();
  waiting_t *w = p->data;
  if (status < 0) {
    char why[256];
    int closed = tls_socket_failure(w->fd, why, sizeof why);
    tls_give_up(w, why, closed ? TLS_PEER_CLOSED : TLS_FAILED);
    return;
  }
  if (!w->tls_ready) {
    int r = SSL_do_handshake(w->ssl);
    if (r != 1) {
      int e = SSL_get_error(w->ssl, r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        uv_poll_start(&w->poll, (e == SSL_ERROR_WANT_WRITE ? UV_WRITABLE : UV_READABLE) | UV_DISCONNECT, on_tls);
        return;
      }
      char why[512];
      int closed = tls_handshake_failure(w->ssl, e, why, sizeof why);
      tls_give_up(w, why, closed ? TLS_PEER_CLOSED : TLS_FAILED);
      return;
    }
    w->tls_ready = 1;
    /* From here the wait for its startup is a plain client's (handoff_ms). */
    w->since_ms = uv_now(p->loop);
  }
  /* With read-ahead, records after the handshake may sit in TLS's buffer already. */
  while (!first_packet_read(&w->first)) {
    tls_step_t step = tls_read_step(w->ssl, &w->first, 4096);
    if (step == TLS_MOVED) continue;
    /* Closed before a whole startup: the usual path gets what came, then the end, as it would. */
    if (step == TLS_CLOSED) break;
    uv_poll_start(&w->poll, (step == TLS_WANTS_WRITE ? UV_WRITABLE : UV_READABLE) | UV_DISCONNECT, on_tls);
    return;
  }
  tls_arrived(w);
}

/* Answers an SSLRequest 'S' and runs the client's TLS here, when a connection is parked or being
 * reset for some client and there is room; 0 (nothing sent) leaves it to JavaScript's TLS. */
static int start_tls(door_t *d, int fd) {
  if (!d->tls_ctx || d->closed || !(d->parks || d->resetting) || d->room - d->unannounced <= 0) return 0;
  waiting_t *w = calloc(1, sizeof *w);
  if (!w) return 0;
  w->ssl = SSL_new(d->tls_ctx);
  if (!w->ssl || !socket_bio_attach(w->ssl, fd) || uv_poll_init_socket(d->poll.loop, &w->poll, fd) != 0) {
    SSL_free(w->ssl);
    free(w);
    return 0;
  }
  w->poll.data = w;
  if (send(fd, "S", 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1) {
    /* Gone already (a new connection's buffer has room for a byte): JavaScript finds it so. */
    uv_close((uv_handle_t *)&w->poll, waiting_closed);
    return 0;
  }
  SSL_set_accept_state(w->ssl);
  SSL_set_mode(w->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  w->fd = fd;
  w->door = d;
  w->since_ms = w->accepted_ms = uv_now(d->poll.loop);
  push_waiting(&d->waiting, w);
  uv_poll_start(&w->poll, UV_READABLE | UV_DISCONNECT, on_tls);
  keep_timer(d);
  return 1;
}

int door_park(door_t *d, int id, const char *key, size_t key_len, int link, const char *frames, size_t frames_len, const char *ready, size_t ready_len) {
  link_t *l = addon_link(link);
  if (d->closed || !l) return 0;
  park_t *p = calloc(1, sizeof *p);
  if (!p) return 0;
  p->id = id;
  p->link = link;
  p->door = d;
  if (!bytes_append(&p->key, key, key_len) || !bytes_append(&p->frames, frames, frames_len) || !bytes_append(&p->ready, ready, ready_len) ||
      !link_watch(l, parked_link_changed, p)) {
    bytes_free(&p->key);
    bytes_free(&p->frames);
    bytes_free(&p->ready);
    free(p);
    return 0;
  }
  p->next = d->parks;
  d->parks = p;
  serve_soon(d);
  return 1;
}

int door_unpark(door_t *d, int id) {
  park_t **pp = find_park(d, id);
  if (!*pp) return 0;
  drop_park(pp);
  return 1;
}

int door_grant(door_t *d, int32_t process_id, int32_t secret_key) {
  if (d->closed || d->key_count == KEY_STOCK) return 0;
  d->keys[d->key_count].process_id = process_id;
  d->keys[d->key_count].secret_key = secret_key;
  d->key_count++;
  return 1;
}

void door_room(door_t *d, int room) { d->room = room; }

void door_settle(door_t *d) { announce(d); }

static void door_handle_closed(uv_handle_t *h) {
  door_t *d = h->data;
  if (--d->open_handles == 0) {
    js_callback_free(&d->cb);
    napi_delete_reference(d->env, d->session_events);
    bytes_free(&d->lost_message);
    free(d);
  }
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

/* A session whose client said goodbye just before connecting again may give its connection back
 * for this client: its goodbye, if the io_uring received it already, is read before the door
 * decides, at each of its callbacks that may lead to arrived(). */
static void on_waiting(uv_poll_t *p, int status, int events) {
  ring_catch_up();
  waiting_t *w = p->data;
  door_t *d = w->door;
  char buf[FIRST_READ];
  size_t n = 0;
  if (status == 0 && !first_read(w->fd, buf, &n)) return;
  int fd = w->fd;
  unlink_waiting(w);
  arrived(d, (client_t){fd, NULL, 0}, buf, n);
}

static void on_timer(uv_timer_t *t);

/* The timer runs only while it has something to do: an idle proxy is not woken. */
static void keep_timer(door_t *d) {
  int needed = !d->closed && (d->waiting || d->held || !uv_is_active((uv_handle_t *)&d->poll));
  int running = uv_is_active((uv_handle_t *)&d->timer);
  if (needed && !running) {
    uint64_t every = d->handoff_ms < RETRY_ACCEPT_MS ? d->handoff_ms : RETRY_ACCEPT_MS;
    uv_timer_start(&d->timer, on_timer, every, every);
  } else if (!needed && running) uv_timer_stop(&d->timer);
}

static void accept_clients(door_t *d) {
  while (!d->closed) {
    int fd = accept4(d->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      /* The listening socket stays readable: waiting on it now would spin; the timer resumes. */
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) uv_poll_stop(&d->poll);
      keep_timer(d);
      return;
    }
    int one = 1, idle_s = KEEPALIVE_IDLE_S;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle_s, sizeof idle_s);
    /* Clients write their StartupMessage as soon as they are connected: often it is here already. */
    char buf[FIRST_READ];
    size_t n = 0;
    if (first_read(fd, buf, &n)) {
      arrived(d, (client_t){fd, NULL, 0}, buf, n);
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
    push_waiting(&d->waiting, w);
    uv_poll_start(&w->poll, UV_READABLE | UV_DISCONNECT, on_waiting);
  }
  keep_timer(d);
}

static void on_listen(uv_poll_t *p, int status, int events) {
  ring_catch_up();
  if (status == 0) accept_clients(p->data);
}

/* Clients that have not written within handoff_ms go to JavaScript as they are (its startup
 * timeout takes it from there), TLS clients of the door's with what they sent after their
 * handshake, or failed when the handshake outlasts tls_timeout_ms; held ones after reset_wait_ms
 * with what they sent; accepting resumes after a descriptor shortage. */
static void on_timer(uv_timer_t *t) {
  door_t *d = t->data;
  if (d->closed) return;
  if (!uv_is_active((uv_handle_t *)&d->poll)) uv_poll_start(&d->poll, UV_READABLE, on_listen);
  uint64_t now = uv_now(t->loop);
  waiting_t *w = d->waiting;
  while (w) {
    waiting_t *next = w->next;
    uint64_t waited = now - w->since_ms;
    if (w->ssl && !w->tls_ready) {
      if (waited >= d->tls_timeout_ms) tls_give_up(w, "TLS handshake timed out", TLS_TIMED_OUT);
    } else if (waited >= d->handoff_ms) {
      if (w->ssl) tls_arrived(w);
      else {
        int fd = w->fd;
        unlink_waiting(w);
        hand_over(d, fd, NULL, 0);
      }
    }
    if (d->closed) return;
    w = next;
  }
  serve_held(d);
}

door_t *door_open(napi_env env, int listen_fd, const door_options_t *o, napi_value callback, napi_value session_events) {
  door_t *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->fd = fcntl(listen_fd, F_DUPFD_CLOEXEC, 0);
  if (d->fd < 0 || !bytes_append(&d->lost_message, o->lost_message, o->lost_message_len) ||
      napi_create_reference(env, session_events, 1, &d->session_events) != napi_ok ||
      js_callback_init(&d->cb, env, callback, "aurora-pg-proxy:door") != 0) {
    if (d->session_events) napi_delete_reference(env, d->session_events);
    if (d->fd >= 0) close(d->fd);
    bytes_free(&d->lost_message);
    free(d);
    return NULL;
  }
  fcntl(d->fd, F_SETFL, fcntl(d->fd, F_GETFL) | O_NONBLOCK);
  d->env = env;
  d->handoff_ms = o->handoff_ms > 0 ? o->handoff_ms : 1;
  d->tls_ctx = o->tls_ctx;
  d->tls_timeout_ms = o->tls_timeout_ms > 0 ? o->tls_timeout_ms : 10000;
  d->occ = o->occ;
  d->hold_limit = o->hold_limit;
  d->keep_clean = o->keep_clean;
  d->announce_ms = o->announce_ms;
  d->reset_wait_ms = o->reset_wait_ms;
  d->answers_end = &d->answers;
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  uv_poll_init_socket(loop, &d->poll, d->fd);
  uv_timer_init(loop, &d->timer);
  uv_timer_init(loop, &d->announce_timer);
  uv_timer_init(loop, &d->serve_timer);
  d->poll.data = d;
  d->timer.data = d;
  d->announce_timer.data = d;
  d->serve_timer.data = d;
  d->open_handles = 4;
  uv_poll_start(&d->poll, UV_READABLE, on_listen);
  return d;
}

/* Stops accepting. Clients not answered yet (silent, or held) are closed, as a listener that
 * stopped accepting closes what it had not started on. */
void door_close(door_t *d) {
  if (d->closed) return;
  /* JavaScript hears of every session started here before the door goes. */
  announce(d);
  d->closed = 1;
  while (d->parks) door_unpark(d, d->parks->id);
  while (d->waiting || d->held) {
    waiting_t *w = d->waiting ? d->waiting : d->held;
    int fd = w->fd;
    unlink_waiting(w);
    close(fd);
  }
  while (d->resetting) {
    resetting_t *r = d->resetting;
    d->resetting = r->next;
    bytes_free(&r->key);
    free(r);
  }
  uv_poll_stop(&d->poll);
  uv_timer_stop(&d->timer);
  uv_close((uv_handle_t *)&d->poll, door_handle_closed);
  uv_close((uv_handle_t *)&d->timer, door_handle_closed);
  uv_close((uv_handle_t *)&d->announce_timer, door_handle_closed);
  uv_close((uv_handle_t *)&d->serve_timer, door_handle_closed);
  close(d->fd);
}
