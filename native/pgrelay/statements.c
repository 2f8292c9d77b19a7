#include "statements.h"
#include <stdlib.h>
#include <string.h>

/* The index of `name` among the names, or -1. */
static long find(const statements_t *t, const char *name) {
  for (size_t i = 0; i < t->n; i++)
    if (strcmp(t->names[i], name) == 0) return (long)i;
  return -1;
}

/* The C string heading the capture, copied, or NULL when it does not end within it. */
static char *leading_name(const unsigned char *head, size_t n) {
  const unsigned char *end = n > 0 ? memchr(head, 0, n) : NULL;
  if (!end) return NULL;
  size_t len = (size_t)(end - head);
  char *name = malloc(len + 1);
  if (name) memcpy(name, head, len + 1);
  return name;
}

void statements_parsed(statements_t *t, const unsigned char *head, size_t n) {
  if (t->lost) return;
  if (n > 0 && head[0] == 0) return; /* the unnamed statement */
  char *name = leading_name(head, n);
  if (!name) {
    t->lost = 1;
    return;
  }
  if (find(t, name) >= 0) {
    free(name);
    return;
  }
  if (t->n >= MAX_FOLLOWED_STATEMENTS) {
    free(name);
    t->lost = 1;
    return;
  }
  if (t->n == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 16;
    char **v = realloc(t->names, cap * sizeof *v);
    if (!v) {
      free(name);
      t->lost = 1;
      return;
    }
    t->names = v;
    t->cap = cap;
  }
  t->names[t->n++] = name;
}

void statements_free(statements_t *t) {
  for (size_t i = 0; i < t->n; i++) free(t->names[i]);
  free(t->names);
  memset(t, 0, sizeof *t);
}
