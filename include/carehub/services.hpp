// What modules offer each other through the core: each service is a slot the providing module
// fills when it starts and the others look in at each use. An empty slot means the provider is
// off (its module not loaded), and callers then do without: no module depends on another's
// presence.
#pragma once

#include <atomic>

namespace carehub {

template <typename T>
class Slot {
 public:
  void install(T* service) { service_.store(service); }
  T* get() const { return service_.load(); }

 private:
  std::atomic<T*> service_{nullptr};
};

class PatientIndex;           // carehub/patient_index.hpp: the EMPI
class NotificationPublisher;  // carehub/notifications.hpp: the notify module
class PrincipalValidator;     // carehub/notifications.hpp: the auth module
class Accounts;               // carehub/accounts.hpp: the auth module
class AddressConfirmations;   // carehub/accounts.hpp: the cases module

struct Services {
  Slot<PatientIndex> patient_index;
  Slot<NotificationPublisher> notifications;
  Slot<PrincipalValidator> principals;
  Slot<Accounts> accounts;
  Slot<AddressConfirmations> address_confirmations;
};

}  // namespace carehub
