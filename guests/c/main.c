/*
 * A WASI command in C, for testing a WASI host: compiled by clang for wasm32-wasi against
 * wasi-libc (WASI preview 1), then made a WASI 0.2 component with the preview1 command
 * adapter (see ../wasi-README.md).
 *
 * Usage: c-guest [FILE [STATUS]]
 * Prints its arguments and the variable FOO; with FILE (a path inside a preopened folder),
 * writes "hello from c" to it with fopen/fwrite, reads it back with fopen/fread and prints
 * it; then exits with STATUS (0 when not given).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

int main(int argc, char **argv) {
    printf("hello from c\n");
    printf("args:");
    for (int i = 1; i < argc; i++) {
        printf(" %s", argv[i]);
    }
    printf("\n");

    const char *foo = getenv("FOO");
    if (foo) {
        printf("env FOO=%s\n", foo);
    } else {
        printf("env FOO unset\n");
    }

    if (argc > 1) {
        const char *path = argv[1];
        static const char text[] = "hello from c";
        FILE *f = fopen(path, "w");
        if (!f) {
            fprintf(stderr, "error: fopen %s for writing: %s\n", path, strerror(errno));
            return 1;
        }
        size_t wrote = fwrite(text, 1, sizeof text - 1, f);
        if (fclose(f) != 0) {
            fprintf(stderr, "error: fclose %s: %s\n", path, strerror(errno));
            return 1;
        }
        f = fopen(path, "r");
        if (!f) {
            fprintf(stderr, "error: fopen %s for reading: %s\n", path, strerror(errno));
            return 1;
        }
        char buf[64];
        size_t got = fread(buf, 1, sizeof buf - 1, f);
        buf[got] = '\0';
        fclose(f);
        printf("file: wrote %zu bytes, read back \"%s\"\n", wrote, buf);
    }

    fprintf(stderr, "c guest done\n");
    int status = argc > 2 ? atoi(argv[2]) : 0;
    fflush(stdout);
    exit(status);
}
