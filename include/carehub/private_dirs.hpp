// Folders carehub makes for itself (the data folder, uploads, keys, the database's folder) hold
// patient data or secrets: each is created 0700 whatever the umask. Folders that already exist are
// left as they are: a parent may be shared (/var/lib, /tmp) and is not carehub's to change.
#pragma once

#include <string>

namespace carehub {

// Creates dir and its missing parents, each 0700. Throws std::system_error naming the folder.
void create_private_directories(const std::string& dir);

}  // namespace carehub
