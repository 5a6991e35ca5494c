// The DICOM listener's socket, bound where dicom.host says. DCMTK 3.6.7's listener binds every
// interface and takes no address, so carehub binds the socket itself and hands it to DCMTK: DCMTK
// opens its own on a port the kernel picks, and that descriptor is then replaced (dup2) by
// carehub's, under the same number, before its first accept.
#pragma once

#include <set>
#include <string>

#include "carehub/unique_fd.hpp"

namespace carehub::dicom {

// A listening TCP socket on host (an IPv4 address: DCMTK reads its callers' addresses as IPv4)
// and port. Throws std::runtime_error saying why not.
UniqueFd bind_listener(const std::string& host, int port);

// The descriptors of this process that are listening TCP sockets.
std::set<int> listening_sockets();

// Waits (up to timeout_ms) for a listening socket that is not in before to appear (DCMTK's), and
// puts socket in its place. False when none appeared.
bool replace_new_listener(const std::set<int>& before, const UniqueFd& socket, int timeout_ms);

}  // namespace carehub::dicom
