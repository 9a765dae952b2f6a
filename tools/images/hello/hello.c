/*
 * hello.c — the WASI test program of magikrun's image tooling.
 *
 * Built by tools/images/build-hello-wasm.sh with
 *   clang-16 --target=wasm32-wasi --sysroot=/usr -O2 hello.c -o hello.wasm
 * (Debian's wasi-libc), then packed into OCI images by umoci and pushed by skopeo.
 *
 * Every line it prints is easy for a test to look for:
 *   stdout: "hello from a WASI module"
 *           "argc=N" then "argv[i]=VALUE" for each argument
 *           "GREETING=VALUE"                (or "GREETING is not set")
 *           "file PATH: CONTENT"            when HELLO_FILE (or --file=PATH) names a file
 *           "exit=N"                        the code it is about to exit with
 *   stderr: "hello-wasi: this line goes to stderr"
 * Exit code: HELLO_EXIT, overridden by an argument "--exit=N" (default 0).
 * A file that cannot be read prints "cannot read PATH: REASON" to stderr and exits 2
 * unless an exit code was given.
 * "--write=PATH" writes "written by hello-wasi" to PATH after the greeting: "wrote PATH" on stdout,
 * or "cannot write PATH: REASON" on stderr and exit 4 unless an exit code was given.
 * "--sleep=SECONDS" prints "sleeping" and sleeps (in poll_oneoff) before exiting, so that callers can
 * signal it while it is blocked in a host call.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int parse_code(const char *s, int fallback) {
  char *end = NULL;
  long v;
  if (s == NULL || *s == '\0') return fallback;
  v = strtol(s, &end, 10);
  if (end == NULL || *end != '\0' || v < 0 || v > 255) return fallback;
  return (int)v;
}

static int print_file(const char *path) {
  char buf[4096];
  size_t n;
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    fprintf(stderr, "cannot read %s: %s\n", path, strerror(errno));
    return -1;
  }
  printf("file %s: ", path);
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
  fclose(f);
  printf("\n");
  return 0;
}

int main(int argc, char **argv) {
  const char *greeting = getenv("GREETING");
  const char *file = getenv("HELLO_FILE");
  const char *code_s = getenv("HELLO_EXIT");
  const char *write_path = NULL;
  long sleep_s = 0;
  int code = parse_code(code_s, 0);
  int code_given = code_s != NULL && *code_s != '\0';
  int i;

  for (i = 1; i < argc; i++) {
    if (strncmp(argv[i], "--exit=", 7) == 0) {
      code = parse_code(argv[i] + 7, code);
      code_given = 1;
    } else if (strncmp(argv[i], "--file=", 7) == 0) {
      file = argv[i] + 7;
    } else if (strncmp(argv[i], "--write=", 8) == 0) {
      write_path = argv[i] + 8;
    } else if (strncmp(argv[i], "--sleep=", 8) == 0) {
      sleep_s = strtol(argv[i] + 8, NULL, 10);
    }
  }

  printf("hello from a WASI module\n");
  printf("argc=%d\n", argc);
  for (i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
  if (greeting != NULL) printf("GREETING=%s\n", greeting);
  else printf("GREETING is not set\n");
  if (file != NULL && *file != '\0' && print_file(file) != 0 && !code_given) code = 2;
  if (write_path != NULL) {
    FILE *w = fopen(write_path, "w");
    if (w == NULL || fputs("written by hello-wasi\n", w) < 0 || fclose(w) != 0) {
      fprintf(stderr, "cannot write %s: %s\n", write_path, strerror(errno));
      if (!code_given) code = 4;
    } else {
      printf("wrote %s\n", write_path);
    }
  }
  if (sleep_s > 0) {
    struct timespec ts = {sleep_s, 0};
    printf("sleeping\n");
    fflush(stdout);
    nanosleep(&ts, NULL);
  }
  printf("exit=%d\n", code);
  fflush(stdout);
  fprintf(stderr, "hello-wasi: this line goes to stderr\n");
  return code;
}
