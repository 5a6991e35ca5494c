// The command line: subcommand dispatch with exit codes scripts can trust (0 ok, 1 runtime
// failure, 2 usage or configuration error) and a one-line reason on stderr.
#pragma once

#include "cli/runtime.hpp"

namespace carehub {

int run_cli(int argc, char** argv, ModuleList modules);

// The subcommands (commands.cpp). Each returns the process exit code.
int cmd_serve(const LoadedConfig& loaded, ModuleList& modules);
int cmd_worker(const LoadedConfig& loaded, ModuleList& modules,
               const std::vector<std::string>& queues);
int cmd_migrate(const LoadedConfig& loaded);
int cmd_bootstrap(const LoadedConfig& loaded, ModuleList& modules, const std::string& admin_email,
                  const std::string& password_file);
int cmd_healthcheck(const LoadedConfig& loaded, const std::string& url);
// Queues count "test" messages to one address in one unit of work (an admin checking the relay;
// bench/web/mail.sh filling the outbox).
int cmd_mail_test(const LoadedConfig& loaded, ModuleList& modules, const std::string& to,
                  int count);

}  // namespace carehub
