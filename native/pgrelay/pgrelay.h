/* Shared declarations of the native relay: the TLS links that log in to the cluster, and the
 * relay sessions that join a link to a client's socket. Everything runs on Node's own event loop
 * thread (uv_poll handles), so nothing here needs a lock; JavaScript is called back only for rare
 * events (a connection ready or failed, a retry to decide, a session's end). */
#ifndef PGRELAY_H
#define PGRELAY_H
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>
#include <openssl/ssl.h>
#include "bytes.h"

/* A JavaScript function kept for calls from libuv callbacks. */
typedef struct {
  napi_env env;
  napi_ref fn;
  napi_async_context actx;
} js_callback_t;

int js_callback_init(js_callback_t *cb, napi_env env, napi_value fn, const char *name);
/* Calls the function with a handle scope open around it; `build` fills argv; the result (or
 * NULL) is handed to `take` before the scope closes. Exceptions are cleared: the JavaScript side
 * catches its own. */
typedef int (*js_args_fn)(napi_env env, void *data, napi_value *argv);
typedef void (*js_result_fn)(napi_env env, napi_value result, void *data);
void js_callback_call(js_callback_t *cb, int argc, js_args_fn build, js_result_fn take, void *data);
void js_callback_free(js_callback_t *cb);

/* A connection through TLS, its plaintext bridged to a socketpair for JavaScript: to the cluster
 * (servername set: SNI and name verification) for the login, or from a client (servername NULL:
 * the server side of the handshake) for its startup and authentication. */
typedef struct link link_t;
link_t *link_open(napi_env env, SSL_CTX *ctx, int fd, const char *servername, napi_value callback, int id);
void link_close(link_t *l);
int link_is_ready(const link_t *l);

/* A connection a session gives back (--reuse-connections), or a client whose TLS the door ran:
 * its TLS, descriptor and poll become a ready link, bridged to the socketpair end put in *js_end,
 * or with no bridge when js_end is NULL (link_bridge makes one when JavaScript needs it). `heard`:
 * plaintext already read from the peer, which JavaScript reads first. Returns the link's id, or
 * -1 when out of resources (then nothing was taken). */
int link_adopt(napi_env env, SSL *ssl, int fd, uv_poll_t *poll, int *js_end, const char *heard, size_t heard_len);
/* The bridge of a link that has none yet: JavaScript's end, or -1 when the link is gone, busy
 * with a reset, or bridged already. */
int link_bridge(link_t *l);
/* Runs a reset on a link with no bridge: sends `bytes` (Close and Sync messages, then the reset
 * Query) and reads the answers here. addon_reset_done(link, ok) follows once: ok when
 * `ready_count` ReadyForQuery came, idle, with no ErrorResponse, no COPY and nothing after the
 * last; otherwise (or after timeout_ms, or the link's end) the link is closed first. 0 when it
 * cannot start. */
int link_reset(link_t *l, napi_env env, const char *bytes, size_t n, int ready_count, uint64_t timeout_ms);
/* Tells JavaScript how a link's reset ended (the function given to onLinkResets). */
void addon_reset_done(int link, int ok);

/* The native front door (door.c): accepts on a duplicate of a listening socket and reads each
 * client's first packet. A StartupMessage whose parameters match a parked warm connection is
 * answered by a session started there, with a cancel key JavaScript handed over ahead and within
 * the room it allows (--max-connections); JavaScript hears of the session a moment later
 * ("answered"), or before anything else of it. Any other client is handed to JavaScript as
 * (descriptor, first bytes), clients silent for handoff_ms with none. */
typedef struct door door_t;
typedef struct {
  uint64_t handoff_ms;
  uint64_t announce_ms;
  /* How long a client whose key has a connection being reset is held for it (door_resetting). */
  uint64_t reset_wait_ms;
  const char *lost_message;
  size_t lost_message_len;
  int occ;
  size_t hold_limit;
  int keep_clean;
  /* The listener's certificate: SSLRequest clients get their TLS here when a connection is parked
   * (NULL: they go the usual way), and fail after tls_timeout_ms without a finished handshake. */
  SSL_CTX *tls_ctx;
  uint64_t tls_timeout_ms;
} door_options_t;
door_t *door_open(napi_env env, int listen_fd, const door_options_t *o, napi_value callback, napi_value session_events);
void door_close(door_t *d);
int door_park(door_t *d, int id, const char *key, size_t key_len, int link, const char *frames, size_t frames_len, const char *ready, size_t ready_len);
int door_unpark(door_t *d, int id);
int door_grant(door_t *d, int32_t process_id, int32_t secret_key);
void door_room(door_t *d, int room);
void door_settle(door_t *d);
/* How many connections of the warm set under `key` are being reset now (--reuse-connections). */
void door_resetting(door_t *d, const char *key, size_t key_len, int count);
/* How holds ended: answered from a connection of the client's key parked while it waited, handed
 * to JavaScript to log in (the reset failed, or the wait ran out), or the client left. */
enum { DOOR_HOLD_ANSWERED = 0, DOOR_HOLD_LOGIN = 1, DOOR_HOLD_LEFT = 2, DOOR_HOLD_OUTCOMES = 3 };
/* The door's counts of ended holds since it opened, by outcome, then their waits in ms added up,
 * by outcome. */
void door_holds(const door_t *d, uint64_t out[2 * DOOR_HOLD_OUTCOMES]);

/* A parked link's watcher, called once when its server sends anything (LINK_HEARD) or closes
 * (LINK_CLOSED): no JavaScript reads a parked connection's bridge. */
enum { LINK_CLOSED = 1, LINK_HEARD = 2 };
typedef void (*link_watch_fn)(void *ctx, int what);
/* 0 when the link is not ready (its server closed it already); then nothing is watched. */
int link_watch(link_t *l, link_watch_fn fn, void *ctx);
void link_unwatch(link_t *l);
/* The link with this id (addon.c's table), or NULL. */
link_t *addon_link(int id);

/* What a session takes over from its link. */
typedef struct {
  SSL *ssl;
  int fd;
  uv_poll_t *poll;
  bytes_t from_peer; /* what the peer sent that JavaScript had not read */
  bytes_t to_peer;   /* what JavaScript wrote that had not reached TLS */
  int bridge;        /* our end of the bridge when kept open, else -1 */
} link_parts_t;
/* Drains the bridge and hands over the TLS connection; the link is freed. With keep_bridge, our
 * end of the bridge stays open (out->bridge, the taker's to close): JavaScript, not reading it,
 * hears of nothing until it lets its own end go. */
int link_take(link_t *l, link_parts_t *out, int keep_bridge);

typedef struct session session_t;
/* A session's cluster connection outlives a clean goodbye: never; only when the client never
 * used it (it said goodbye as its first message and the server sent nothing since the login: a
 * health probe such as pg_isready); or after any clean end (--reuse-connections). */
enum { KEEP_NEVER = 0, KEEP_UNTOUCHED = 1, KEEP_CLEAN = 2 };
typedef struct {
  int occ;
  /* When the client's goodbye gives the cluster connection back ("kept" event): KEEP_*. */
  int keep_upstream;
  size_t hold_limit;
  /* The proxy's own answer to a plain client's login, sent before anything else and at once:
   * not the server's bytes, so neither scanned nor counted. */
  const char *greeting;
  size_t greeting_len;
  const char *to_client;
  size_t to_client_len;
  const char *to_upstream;
  size_t to_upstream_len;
  const char *lost_message;
  size_t lost_message_len;
  /* Called once, before the session's first call to JavaScript (the door's, whose JavaScript
   * hears of a session it started only a moment later). */
  void (*before_first_event)(void *ctx);
  void *before_first_event_ctx;
  /* The cluster link's bridge stays open while the session runs (link_take's keep_bridge). */
  int keep_bridge;
} session_options_t;
/* `client`: the client's TLS link, or NULL for a plain socket `client_fd`. */
session_t *session_start(napi_env env, link_parts_t *upstream, link_parts_t *client, int client_fd, const session_options_t *opts, napi_value callback, int id);
/* A session on the cluster link `link` for the plain client client_fd (addon.c): its id, or -1. */
int addon_start_session(napi_env env, int link, int client_fd, const session_options_t *o, napi_value callback);
/* The same for a client whose TLS the door ran: `ssl` on `fd`, polled by `poll` (malloc'd, not
 * started), all the session's once it starts; the caller's still when -1. */
int addon_start_session_tls(napi_env env, int link, SSL *ssl, int fd, uv_poll_t *poll, const session_options_t *o, napi_value callback);
void session_notice(session_t *s, const char *msg, size_t n);
/* Its before_first_event is not to be called any more. */
void session_announced(session_t *s);
void session_terminate(session_t *s, const char *msg, size_t n);
napi_value session_stats(napi_env env, session_t *s);

/* The id tables (addon.c): a freed object's id no longer resolves. */
void table_forget_link(int id);
/* An id for a link about to be made (table_place_link then names it), or -1 (0 is never an id). */
int table_reserve_link(void);
void table_place_link(int id, link_t *l);
void table_forget_session(int id);
/* The session `id` no longer calls its before_first_event (its JavaScript side knows it now). */
void addon_session_announced(int id);
#endif
