#include "dicom/dimse.hpp"

#include <dcmtk/config/osconfig.h>  // first, as DCMTK requires
//
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/diutil.h>
#include <dcmtk/dcmnet/scppool.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <system_error>
#include <thread>

#include "carehub/hash.hpp"
#include "carehub/log.hpp"
#include "carehub/spool.hpp"
#include "carehub/unique_fd.hpp"
#include "dicom/listen_socket.hpp"
#include "dicom/tls_layer.hpp"

namespace carehub::dicom {
namespace {

// DIMSE status codes of a C-STORE response (PS3.4 B.2.3).
constexpr Uint16 kStatusSuccess = 0x0000;
constexpr Uint16 kStatusOutOfResources = 0xA700;
constexpr Uint16 kStatusDataSetMismatch = 0xA900;
constexpr Uint16 kStatusCannotUnderstand = 0xC000;

// Every transfer syntax an instance may arrive in: stored as received, never transcoded.
OFList<OFString> all_transfer_syntaxes() {
  OFList<OFString> ts;
  for (const char* uid : {UID_LittleEndianExplicitTransferSyntax,
                          UID_LittleEndianImplicitTransferSyntax,
                          UID_BigEndianExplicitTransferSyntax,
                          UID_DeflatedExplicitVRLittleEndianTransferSyntax,
                          UID_JPEGProcess1TransferSyntax,
                          UID_JPEGProcess2_4TransferSyntax,
                          UID_JPEGProcess14TransferSyntax,
                          UID_JPEGProcess14SV1TransferSyntax,
                          UID_JPEGLSLosslessTransferSyntax,
                          UID_JPEGLSLossyTransferSyntax,
                          UID_JPEG2000LosslessOnlyTransferSyntax,
                          UID_JPEG2000TransferSyntax,
                          UID_JPEG2000Part2MulticomponentImageCompressionLosslessOnlyTransferSyntax,
                          UID_JPEG2000Part2MulticomponentImageCompressionTransferSyntax,
                          UID_RLELosslessTransferSyntax,
                          UID_MPEG2MainProfileAtMainLevelTransferSyntax,
                          UID_MPEG2MainProfileAtHighLevelTransferSyntax,
                          UID_MPEG4HighProfileLevel4_1TransferSyntax,
                          UID_MPEG4BDcompatibleHighProfileLevel4_1TransferSyntax,
                          UID_MPEG4HighProfileLevel4_2_For2DVideoTransferSyntax,
                          UID_MPEG4HighProfileLevel4_2_For3DVideoTransferSyntax,
                          UID_MPEG4StereoHighProfileLevel4_2TransferSyntax,
                          UID_HEVCMainProfileLevel5_1TransferSyntax,
                          UID_HEVCMain10ProfileLevel5_1TransferSyntax}) {
    ts.push_back(uid);
  }
  return ts;
}

std::string trimmed(const OFString& s) {
  std::string out(s.c_str());
  while (!out.empty() && out.back() == ' ') out.pop_back();
  while (!out.empty() && out.front() == ' ') out.erase(0, 1);
  return out;
}

struct Shared {
  DimseSettings settings;
  Ingestor& ingestor;
  DcmSCPConfig base;  // settings without storage presentation contexts
  OFList<OFString> transfer_syntaxes;
};

// Storage SOP classes: every one DCMTK knows, and any of the standard's storage root (a class
// newer than this DCMTK).
bool is_storage_class(const std::string& uid) {
  static const std::set<std::string> known = [] {
    std::set<std::string> s;
    for (int i = 0; i < numberOfDcmAllStorageSOPClassUIDs; ++i)
      s.insert(dcmAllStorageSOPClassUIDs[i]);
    return s;
  }();
  return known.contains(uid) || uid.rfind("1.2.840.10008.5.1.4.1.1.", 0) == 0;
}

// The staging file DCMTK is writing, by name, as a data set arrives. A follower thread hashes
// each part as it lands and starts its writeback, while the receiving thread reads the next from
// the network: by the last part the checksum is known and most bytes are on their way to the
// disk. DCMTK only appends (the file meta first, then each part), and the follower reads only
// below the size the receiving thread saw after its writes, so the bytes hashed are the file's.
class ReceivingFile {
 public:
  explicit ReceivingFile(const std::string& path)
      : path_(path), fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (!fd_) return;
    try {
      follower_ = std::thread([this] { follow(); });
    } catch (const std::system_error&) {
      // No thread to spare: the whole file is hashed by finish() instead.
    }
  }
  ~ReceivingFile() { stop(); }
  ReceivingFile(const ReceivingFile&) = delete;
  ReceivingFile& operator=(const ReceivingFile&) = delete;

  // On the receiving thread, after DCMTK wrote a part.
  void progress() {
    struct stat st {};
    if (!fd_ || ::fstat(fd_.get(), &st) != 0) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      written_ = st.st_size;
    }
    wake_.notify_one();
  }
  // Once DCMTK closed the file: its whole SHA-256, or empty when it could not be followed (the
  // ingest then reads the file itself).
  std::string finish() {
    stop();
    hash_to(-1);
    return fd_ && ok_ ? hash_.hex() : std::string();
  }

 private:
  void follow() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      wake_.wait(lock, [&] { return done_ || written_ > at_; });
      if (done_) return;
      const std::int64_t upto = written_;
      lock.unlock();
      hash_to(upto);
      ::sync_file_range(fd_.get(), 0, upto, SYNC_FILE_RANGE_WRITE);  // a hint: errors ignored
      lock.lock();
    }
  }

  void stop() {
    if (!follower_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    wake_.notify_one();
    follower_.join();
  }

  // Hashes from where it stopped up to limit (-1: the end of the file). A read error, or a file
  // shorter than a size already seen, means it cannot be followed.
  void hash_to(std::int64_t limit) {
    if (!fd_ || !ok_) return;
    try {
      at_ = hash_.update_from(fd_.get(), at_, limit, path_);
      ok_ = limit < 0 || at_ == limit;
    } catch (const std::runtime_error&) {
      ok_ = false;
    }
  }

  std::string path_;
  UniqueFd fd_;
  Sha256 hash_;
  std::int64_t at_ = 0;  // hashed so far; the follower's until it stops
  bool ok_ = true;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::int64_t written_ = 0;  // guarded by mutex_
  bool done_ = false;         // guarded by mutex_
  std::thread follower_;
};

// One association at a time, on a thread of the pool.
class StoreScp : public DcmThreadSCP {
 public:
  explicit StoreScp(Shared& shared) : shared_(shared) {}

 protected:
  // DCMTK's association configuration holds at most 128 presentation contexts, fewer than the
  // storage SOP classes; an association proposes at most 128. So each association is negotiated
  // against a configuration made for it: the worker's own copy of the base settings plus the
  // storage classes this SCU proposes, each with every transfer syntax.
  void notifyAssociationRequest(const T_ASC_Parameters& params, DcmSCPActionType& action) override {
    DcmSCPConfig fresh = shared_.base;
    auto* p = const_cast<T_ASC_Parameters*>(&params);  // read only: DCMTK's getters are not const
    std::set<std::string> added;
    const int n = ASC_countPresentationContexts(p);
    for (int i = 0; i < n; ++i) {
      T_ASC_PresentationContext pc;
      if (ASC_getPresentationContext(p, i, &pc).bad()) continue;
      const std::string abstract = pc.abstractSyntax;
      if (!is_storage_class(abstract) || !added.insert(abstract).second) continue;
      // The role proposed is accepted: SCP of storage for a C-GET's caller, default otherwise.
      fresh.addPresentationContext(
          abstract.c_str(), shared_.transfer_syntaxes,
          pc.proposedRole == ASC_SC_ROLE_SCU ? ASC_SC_ROLE_DEFAULT : pc.proposedRole);
    }
    getConfig() = fresh;
    DcmThreadSCP::notifyAssociationRequest(params, action);
  }

  OFBool checkCalledAETitleAccepted(const OFString& called) override {
    return trimmed(called) == shared_.settings.ae_title;
  }
  OFBool checkCallingAETitleAccepted(const OFString& calling) override {
    const auto it = shared_.settings.callers.find(trimmed(calling));
    if (it == shared_.settings.callers.end()) {
      log_warn("dicom_association_refused",
               {{"calling_ae", trimmed(calling)}, {"reason", "calling AE title not allowed"}});
      return OFFalse;
    }
    calling_ = it->first;
    identity_ = it->second;
    return OFTrue;
  }

  OFCondition handleIncomingCommand(T_DIMSE_Message* msg,
                                    const DcmPresentationContextInfo& info) override {
    const QrSettings& qr = shared_.settings.qr;
    if (qr.service != nullptr && assoc_ != nullptr) {
      const DimseActor actor{calling_, identity_, getPeerIP().c_str()};
      switch (msg->CommandField) {
        case DIMSE_C_FIND_RQ:
          return serve_find(assoc_, info.presentationContextID, msg->msg.CFindRQ, qr, actor);
        case DIMSE_C_GET_RQ:
          return serve_get(assoc_, info.presentationContextID, msg->msg.CGetRQ, qr, actor);
        case DIMSE_C_MOVE_RQ:
          return serve_move(assoc_, info.presentationContextID, msg->msg.CMoveRQ, qr, actor);
        default: break;
      }
    }
    if (msg->CommandField != DIMSE_C_STORE_RQ)
      return DcmThreadSCP::handleIncomingCommand(msg, info);
    T_DIMSE_C_StoreRQ& rq = msg->msg.CStoreRQ;
    std::shared_ptr<SpooledBody> staged;
    try {
      staged = SpooledBody::create(shared_.settings.staging_dir);
      staged->finish();  // DCMTK writes the file itself, by name
    } catch (const std::exception& e) {
      log_error("dicom_store_failed", {{"detail", e.what()}});
      return sendSTOREResponse(info.presentationContextID, rq, kStatusOutOfResources);
    }
    receiving_.emplace(staged->path());
    OFCondition cond = receiveSTORERequest(rq, info.presentationContextID, staged->path().c_str());
    const std::string sha256 = receiving_->finish();
    receiving_.reset();
    if (cond.bad()) return cond;  // the association is broken; the staged file goes with staged
    Uint16 status = kStatusSuccess;
    try {
      IngestSource source;
      source.actor = "ae:" + calling_;
      source.patient_scope = "ae:" + calling_;
      source.client_address = identity_;
      const auto result = shared_.ingestor.ingest(staged->path(), source, nullptr,
                                                  sha256.empty() ? nullptr : &sha256);
      switch (result.status) {
        case IngestStatus::kStored: staged->release(); break;
        case IngestStatus::kAlreadyStored: break;
        case IngestStatus::kTooLarge: status = kStatusOutOfResources; break;
        case IngestStatus::kConflict:
        case IngestStatus::kWrongStudy: status = kStatusDataSetMismatch; break;
        case IngestStatus::kRejected: status = kStatusCannotUnderstand; break;
      }
      if (status != kStatusSuccess) {
        log_warn("dicom_store_refused", {{"calling_ae", calling_},
                                         {"sop_instance_uid", result.sop_uid},
                                         {"reason", result.reason}});
      }
    } catch (const std::exception& e) {
      log_error("dicom_store_failed", {{"calling_ae", calling_}, {"detail", e.what()}});
      status = kStatusOutOfResources;
    }
    return sendSTOREResponse(info.presentationContextID, rq, status);
  }

  // Called as each part of a data set has been written to the staging file.
  void notifyRECEIVEProgress(const unsigned long byte_count) override {
    if (receiving_) receiving_->progress();
    DcmThreadSCP::notifyRECEIVEProgress(byte_count);
  }

  // The association being served (DcmSCP keeps its own pointer private): query/retrieve needs it
  // to answer with several responses and to send C-GET's sub-operations.
  T_ASC_Association* assoc_ = nullptr;

 private:
  Shared& shared_;
  std::string calling_, identity_;
  std::optional<ReceivingFile> receiving_;
};

class Pool : public DcmBaseSCPPool {
 public:
  explicit Pool(Shared& shared) : shared_(shared) {}

 protected:
  // A worker is a pool thread that runs our SCP on one association (as DcmSCPPool's own
  // template does, but constructed with the module's state rather than by default).
  struct Worker : public DcmBaseSCPWorker, private StoreScp {
    Worker(Pool& pool, Shared& shared) : DcmBaseSCPWorker(pool), StoreScp(shared) {}
    // A copy of its own: its configuration changes with every association it serves.
    OFCondition setSharedConfig(const DcmSharedSCPConfig& config) override {
      return StoreScp::setSharedConfig(DcmSharedSCPConfig(*config));
    }
    OFBool busy() override { return StoreScp::isConnected(); }
    OFCondition workerListen(T_ASC_Association* const assoc) override {
      assoc_ = assoc;
      const OFCondition cond = StoreScp::run(assoc);
      assoc_ = nullptr;
      return cond;
    }
  };
  DcmBaseSCPWorker* createSCPWorker() override { return new Worker(*this, shared_); }

 private:
  Shared& shared_;
};

}  // namespace

struct DimseListener::Impl {
  Impl(DimseSettings s, Ingestor& ingestor)
      : shared{std::move(s), ingestor, {}, {}}, pool(shared) {}
  Shared shared;
  std::unique_ptr<TlsLayer> tls_layer;  // DCMTK borrows it: outlives the pool
  Pool pool;
  std::thread thread;
  std::promise<void> done;
};

DimseListener::DimseListener(DimseSettings settings, Ingestor& ingestor)
    : impl_(std::make_unique<Impl>(std::move(settings), ingestor)) {}

DimseListener::~DimseListener() {
  if (impl_->thread.joinable()) stop(std::chrono::milliseconds(5000));
}

void DimseListener::start() {
  const auto& s = impl_->shared.settings;
  // DCMTK reads TCP_NODELAY from the environment when it opens a connection: Nagle's delay on
  // small PDUs would cost each C-STORE round trip up to 40 ms.
  ::setenv("TCP_NODELAY", "1", 0);
  UniqueFd socket;
  try {
    socket = bind_listener(s.host, s.port);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("the DICOM listener cannot listen on ") + e.what());
  }
  const auto before = listening_sockets();
  DcmSCPConfig& cfg = impl_->pool.getConfig();
  cfg.setPort(0);  // DCMTK's own socket, on any port: replaced by socket once it is open
  cfg.setAETitle(s.ae_title.c_str());
  cfg.setConnectionBlockingMode(DUL_NOBLOCK);
  cfg.setConnectionTimeout(1);  // how often the accept loop looks whether to stop
  cfg.setACSETimeout(static_cast<Uint32>(s.timeout_s));
  cfg.setDIMSETimeout(static_cast<Uint32>(s.timeout_s));
  cfg.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
  cfg.setHostLookupEnabled(OFFalse);
  cfg.setMaxReceivePDULength(ASC_MAXIMUMPDUSIZE);
  if (s.tls) {
    impl_->tls_layer = std::make_unique<TlsLayer>(s.tls, std::min(s.timeout_s, 10));
    cfg.setTransportLayer(impl_->tls_layer.get());  // every connection: TLS, or refused
  }
  OFList<OFString> verification;
  verification.push_back(UID_LittleEndianImplicitTransferSyntax);
  verification.push_back(UID_LittleEndianExplicitTransferSyntax);
  verification.push_back(UID_BigEndianExplicitTransferSyntax);
  cfg.addPresentationContext(UID_VerificationSOPClass, verification);
  if (s.qr.service != nullptr) {
    for (const char* uid : qr_sop_classes()) cfg.addPresentationContext(uid, verification);
  }
  impl_->shared.base = cfg;
  impl_->shared.transfer_syntaxes = all_transfer_syntaxes();
  impl_->shared.settings.qr.own_ae = s.ae_title;
  impl_->shared.settings.qr.timeout_s = s.timeout_s;
  impl_->shared.settings.qr.staging_dir = s.staging_dir;
  impl_->pool.setMaxThreads(static_cast<Uint16>(s.max_associations));

  // listen() opens the port and then serves until stopped; a failure to open comes back at once.
  std::promise<std::string> opened;
  auto opened_result = opened.get_future();
  impl_->thread = std::thread([this, opened = std::move(opened)]() mutable {
    std::atomic<bool> reported{false};
    std::thread watcher([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      if (!reported.exchange(true)) opened.set_value("");
    });
    const OFCondition cond = impl_->pool.listen();
    if (!reported.exchange(true)) opened.set_value(cond.bad() ? cond.text() : "stopped");
    watcher.join();
    if (cond.bad()) log_error("dicom_listener_stopped", {{"detail", cond.text()}});
    impl_->done.set_value();
  });
  const std::string problem = opened_result.get();
  if (!problem.empty()) {
    impl_->thread.join();
    throw std::runtime_error("the DICOM listener cannot use port " + std::to_string(s.port) + ": " +
                             problem);
  }
  if (!replace_new_listener(before, socket, 5000)) {
    stop(std::chrono::milliseconds(0));
    throw std::runtime_error("the DICOM listener's socket on " + s.host + ":" +
                             std::to_string(s.port) + " could not be handed to DCMTK");
  }
  log_info("dicom_listener_started", {{"host", s.host},
                                      {"port", s.port},
                                      {"ae_title", s.ae_title},
                                      {"tls", s.tls != nullptr},
                                      {"callers", s.callers.size()}});
}

void DimseListener::stop(std::chrono::milliseconds grace) {
  if (!impl_->thread.joinable()) return;
  impl_->pool.stopAfterCurrentAssociations();
  auto done = impl_->done.get_future();
  if (done.wait_for(grace + std::chrono::seconds(2)) == std::future_status::ready) {
    impl_->thread.join();
  } else {
    log_warn("dicom_listener_busy", {{"reason", "associations still open after the grace period"}});
    impl_->thread.detach();
  }
}

}  // namespace carehub::dicom
