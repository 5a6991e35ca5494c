// carehub: subcommand dispatch only. The module list is named here, explicitly.
#include <malloc.h>

#include "cli/cli.hpp"
#include "modules.hpp"

int main(int argc, char** argv) {
  // Large blocks (argon2id's 19 MiB per password hash, big uploads) are mmapped and given back to
  // the system when freed. Without a fixed threshold glibc raises it after the first such free,
  // and every later hash stays resident in the heap of the thread that ran it.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  return carehub::run_cli(argc, argv, carehub::make_modules());
}
