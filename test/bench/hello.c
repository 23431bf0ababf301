/* The benchmark's spawned server: writes 6 bytes to its socket (fd 1) and exits. */
#include <unistd.h>

int main(void) {
  return write(1, "hello\n", 6) == 6 ? 0 : 1;
}
