// carehub: subcommand dispatch only. The module list is named here, explicitly.
#include "cli/cli.hpp"
#include "modules.hpp"

int main(int argc, char** argv) {
  return carehub::run_cli(argc, argv, carehub::make_modules());
}
