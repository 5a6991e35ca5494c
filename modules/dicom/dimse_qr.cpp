#include "dicom/dimse_qr.hpp"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcelem.h>
#include <dcmtk/dcmdata/dcuid.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <set>

#include "carehub/log.hpp"
#include "dicom/dimse_send.hpp"

namespace carehub::dicom {
namespace {

std::string hex_of(const DcmTagKey& key) {
  char hex[9];
  std::snprintf(hex, sizeof hex, "%04X%04X", key.getGroup(), key.getElement());
  return hex;
}

// ErrorComment is an LO: at most 64 characters.
DcmDataset* error_comment(const std::string& text) {
  auto* d = new DcmDataset;
  d->putAndInsertString(DCM_ErrorComment, text.substr(0, 64).c_str());
  return d;
}

bool is_patient_root(const char* sop_class) {
  const std::string uid = sop_class;
  return uid == UID_FINDPatientRootQueryRetrieveInformationModel ||
         uid == UID_GETPatientRootQueryRetrieveInformationModel ||
         uid == UID_MOVEPatientRootQueryRetrieveInformationModel;
}

// An identifier as keys: each attribute with a value is matched (and returned), each without
// one is a return key. Sequences are returned empty: the index matches none.
struct Identifier {
  QrLevel level = QrLevel::kStudy;
  QrKeys keys;
  std::vector<DcmTagKey> returned;  // in the identifier's order, sequences included
};

Result<Identifier> identifier_of(DcmDataset* ids, const char* sop_class) {
  if (ids == nullptr) return Result<Identifier>::fail("the request has no identifier");
  Identifier out;
  OFString level;
  if (ids->findAndGetOFString(DCM_QueryRetrieveLevel, level).bad() || level.empty())
    return Result<Identifier>::fail("QueryRetrieveLevel (0008,0052) is missing");
  static const std::map<std::string, QrLevel> kLevels = {{"PATIENT", QrLevel::kPatient},
                                                         {"STUDY", QrLevel::kStudy},
                                                         {"SERIES", QrLevel::kSeries},
                                                         {"IMAGE", QrLevel::kImage}};
  const auto it = kLevels.find(level.c_str());
  if (it == kLevels.end())
    return Result<Identifier>::fail("QueryRetrieveLevel '" + std::string(level.c_str()) +
                                    "' is not PATIENT, STUDY, SERIES or IMAGE");
  out.level = it->second;
  if (out.level == QrLevel::kPatient && !is_patient_root(sop_class))
    return Result<Identifier>::fail("the PATIENT level needs the Patient Root model");
  for (unsigned long i = 0; i < ids->card(); ++i) {
    DcmElement* e = ids->getElement(i);
    const DcmTagKey key = e->getTag();
    if (key == DCM_QueryRetrieveLevel || key == DCM_SpecificCharacterSet) continue;
    out.returned.push_back(key);
    if (e->ident() == EVR_SQ) continue;
    OFString value;
    e->getOFStringArray(value);
    DcmTag tag(key);  // getTagName() is not const
    const std::string keyword = tag.getTagName();
    const std::string name =
        keyword.empty() || keyword == DcmTag_ERROR_TagName ? hex_of(key) : keyword;
    out.keys.want.push_back((Uint32{key.getGroup()} << 16) | key.getElement());
    if (!value.empty()) out.keys.values.emplace_back(name, value.c_str());
  }
  return Result<Identifier>::ok(std::move(out));
}

// The text of a DICOM JSON attribute: values joined with '\', a PN's groups with '='.
std::string text_of(const nlohmann::json& attribute) {
  const auto values = attribute.find("Value");
  if (values == attribute.end() || !values->is_array()) return "";
  std::string out;
  bool first = true;
  for (const auto& v : *values) {
    if (!first) out += '\\';
    first = false;
    if (v.is_string()) {
      out += v.get<std::string>();
    } else if (v.is_number_integer()) {
      out += std::to_string(v.get<std::int64_t>());
    } else if (v.is_number()) {
      out += v.dump();
    } else if (v.is_object()) {
      std::string groups[3];
      const char* names[] = {"Alphabetic", "Ideographic", "Phonetic"};
      for (int g = 0; g < 3; ++g) {
        if (v.contains(names[g]) && v[names[g]].is_string()) groups[g] = v[names[g]];
      }
      std::string pn = groups[0];
      if (!groups[1].empty() || !groups[2].empty()) pn += "=" + groups[1];
      if (!groups[2].empty()) pn += "=" + groups[2];
      out += pn;
    }
  }
  return out;
}

// Unique keys at and above the level, which every answer carries (PS3.4 C.4.1.2.1).
std::vector<DcmTagKey> unique_keys(QrLevel level) {
  switch (level) {
    case QrLevel::kPatient: return {DCM_PatientID};
    case QrLevel::kStudy: return {DCM_StudyInstanceUID};
    case QrLevel::kSeries: return {DCM_StudyInstanceUID, DCM_SeriesInstanceUID};
    case QrLevel::kImage: return {DCM_StudyInstanceUID, DCM_SeriesInstanceUID, DCM_SOPInstanceUID};
  }
  return {};
}

DcmDataset* answer_of(const nlohmann::json& match, const Identifier& id,
                      const std::string& own_ae) {
  auto* ds = new DcmDataset;
  ds->putAndInsertString(DCM_QueryRetrieveLevel, level_keyword(id.level));
  bool utf8 = false;
  auto put = [&](const DcmTagKey& key) {
    if (ds->tagExists(key)) return;
    const DcmTag tag(key);
    if (tag.getEVR() == EVR_SQ) {
      ds->insertEmptyElement(tag);
      return;
    }
    const auto it = match.find(hex_of(key));
    const std::string value = it == match.end() ? "" : text_of(*it);
    for (unsigned char c : value) utf8 = utf8 || c >= 0x80;
    ds->putAndInsertString(tag, value.c_str());
  };
  for (const auto& key : id.returned) put(key);
  for (const auto& key : unique_keys(id.level)) put(key);
  ds->putAndInsertString(DCM_RetrieveAETitle, own_ae.c_str());
  if (utf8) ds->putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 192");
  return ds;
}

// C-FIND: the answer is computed at the first call, then one match is sent per call.
struct FindState {
  const QrSettings& settings;
  const DimseActor& actor;
  bool started = false;
  Uint16 refused = 0;
  std::string reason{};
  Identifier id{};
  FindAnswer answer{};
  std::size_t next = 0;
};

void find_step(void* data, OFBool cancelled, T_DIMSE_C_FindRQ* rq, DcmDataset* ids, int,
               T_DIMSE_C_FindRSP* rsp, DcmDataset** rsp_ids, DcmDataset** detail) {
  auto& st = *static_cast<FindState*>(data);
  if (!st.started) {
    st.started = true;
    auto id = identifier_of(ids, rq->AffectedSOPClassUID);
    if (!id) {
      st.refused = STATUS_FIND_Error_DataSetDoesNotMatchSOPClass;
      st.reason = id.error();
      st.settings.service->record(st.actor, "find", QrLevel::kStudy, {{"refused", st.reason}});
    } else {
      st.id = std::move(*id);
      try {
        st.answer = st.settings.service->find(st.actor, st.id.level, st.id.keys);
        if (st.answer.truncated) {
          st.refused = STATUS_FIND_Refused_OutOfResources;
          st.reason = "too many matches; narrow the query";
        }
      } catch (const QidoError& e) {
        st.refused = STATUS_FIND_Error_DataSetDoesNotMatchSOPClass;
        st.reason = e.what();
      } catch (const std::exception& e) {
        log_error("dicom_find_failed", {{"calling_ae", st.actor.calling_ae}, {"detail", e.what()}});
        st.refused = STATUS_FIND_Failed_UnableToProcess;
        st.reason = "the index could not be read";
      }
    }
    if (st.refused != 0) {
      log_warn("dicom_find_refused", {{"calling_ae", st.actor.calling_ae}, {"reason", st.reason}});
    }
  }
  if (st.refused != 0) {
    rsp->DimseStatus = st.refused;
    *detail = error_comment(st.reason);
    return;
  }
  if (cancelled) {
    rsp->DimseStatus = STATUS_FIND_Cancel_MatchingTerminatedDueToCancelRequest;
    return;
  }
  if (st.next < st.answer.matches.size()) {
    *rsp_ids = answer_of(st.answer.matches[st.next], st.id, st.settings.own_ae);
    st.answer.matches[st.next] = nullptr;  // sent: its memory goes now
    ++st.next;
    rsp->DimseStatus = STATUS_Pending;
    return;
  }
  rsp->DimseStatus = STATUS_Success;
}

// The C-STORE sub-operations of a C-GET or C-MOVE.
struct SubOperations {
  int completed = 0, failed = 0, warnings = 0;
  std::vector<std::string> failed_uids;
};

// An association this listener opens to a C-MOVE destination, released or aborted when done.
class Outbound {
 public:
  ~Outbound() {
    if (assoc_ != nullptr) {
      if (ASC_releaseAssociation(assoc_).bad()) ASC_abortAssociation(assoc_);
      ASC_destroyAssociation(&assoc_);
    }
    if (net_ != nullptr) ASC_dropNetwork(&net_);
  }
  // Proposes each (SOP class, stored transfer syntax) of items, and each SOP class uncompressed.
  Result<T_ASC_Association*> open(const QrSettings& s, const Destination& to,
                                  const std::vector<RetrieveItem>& items) {
    if (ASC_initializeNetwork(NET_REQUESTOR, 0, s.timeout_s, &net_).bad())
      return Result<T_ASC_Association*>::fail("no network for an outgoing association");
    T_ASC_Parameters* params = nullptr;
    if (ASC_createAssociationParameters(&params, ASC_DEFAULTMAXPDU).bad())
      return Result<T_ASC_Association*>::fail("no association parameters");
    ASC_setAPTitles(params, s.own_ae.c_str(), to.ae_title.c_str(), nullptr);
    const std::string peer = to.host + ":" + std::to_string(to.port);
    ASC_setPresentationAddresses(params, "carehub", peer.c_str());
    std::set<std::pair<std::string, std::string>> proposed;
    std::set<std::string> classes;
    int id = 1;
    const char* uncompressed[] = {UID_LittleEndianExplicitTransferSyntax,
                                  UID_LittleEndianImplicitTransferSyntax};
    for (const auto& item : items) {
      if (id > 255) break;  // at most 128 presentation contexts, odd IDs
      if (proposed.insert({item.sop_class_uid, item.transfer_syntax_uid}).second) {
        const char* ts[] = {item.transfer_syntax_uid.c_str()};
        ASC_addPresentationContext(params, static_cast<T_ASC_PresentationContextID>(id),
                                   item.sop_class_uid.c_str(), ts, 1);
        id += 2;
      }
      if (id <= 255 && classes.insert(item.sop_class_uid).second) {
        ASC_addPresentationContext(params, static_cast<T_ASC_PresentationContextID>(id),
                                   item.sop_class_uid.c_str(), uncompressed, 2);
        id += 2;
      }
    }
    const OFCondition cond = ASC_requestAssociation(net_, params, &assoc_);
    if (cond.bad()) {
      if (assoc_ == nullptr) ASC_destroyAssociationParameters(&params);
      return Result<T_ASC_Association*>::fail(peer + " refused the association: " + cond.text());
    }
    if (ASC_countAcceptedPresentationContexts(assoc_->params) == 0)
      return Result<T_ASC_Association*>::fail(to.ae_title + " accepted none of the classes");
    return Result<T_ASC_Association*>::ok(assoc_);
  }

 private:
  T_ASC_Network* net_ = nullptr;
  T_ASC_Association* assoc_ = nullptr;
};

// C-GET and C-MOVE: the instances are located at the first call, then sent over the calls, each
// call ending in a Pending response after this long (and the last in the final one).
constexpr auto kProgressInterval = std::chrono::milliseconds(500);

// C-GET and C-MOVE's progress between calls.
struct RetrieveState {
  const QrSettings& settings;
  const DimseActor& actor;
  T_ASC_Association* caller{};  // C-GET sends on it
  std::string operation{};      // "get" or "move"
  std::string destination{};    // C-MOVE's
  DIC_US request_id = 0;
  bool started = false;
  Uint16 refused = 0;
  std::string reason{};
  QrLevel level = QrLevel::kStudy;
  std::vector<RetrieveItem> items{};
  std::size_t next = 0;
  SubOperations ops{};
  Outbound outbound{};
  T_ASC_Association* target = nullptr;
  bool broken = false;
};

// What the first call does: find the instances, and for C-MOVE reach the destination.
void start_retrieve(RetrieveState& st, const char* sop_class, DcmDataset* ids) {
  st.started = true;
  auto id = identifier_of(ids, sop_class);
  if (!id) {
    st.refused = STATUS_MOVE_Error_DataSetDoesNotMatchSOPClass;
    st.reason = id.error();
    return;
  }
  st.level = id->level;
  try {
    st.items = st.settings.service->locate(id->level, id->keys);
  } catch (const QidoError& e) {
    st.refused = STATUS_MOVE_Error_DataSetDoesNotMatchSOPClass;
    st.reason = e.what();
    return;
  } catch (const std::exception& e) {
    log_error("dicom_retrieve_failed", {{"calling_ae", st.actor.calling_ae}, {"detail", e.what()}});
    st.refused = STATUS_MOVE_Failed_UnableToProcess;
    st.reason = "the index could not be read";
    return;
  }
  if (st.operation == "get") {
    st.target = st.caller;
    return;
  }
  const auto to = st.settings.destinations.find(st.destination);
  if (to == st.settings.destinations.end()) {
    st.refused = STATUS_MOVE_Refused_MoveDestinationUnknown;
    st.reason = "move destination '" + st.destination + "' is not in dicom.destinations";
    return;
  }
  if (st.items.empty()) return;
  auto opened = st.outbound.open(st.settings, to->second, st.items);
  if (!opened) {
    st.refused = STATUS_MOVE_Refused_OutOfResourcesSubOperations;
    st.reason = opened.error();
    return;
  }
  st.target = *opened;
}

// One step; returns the status and fills the counts the response carries.
Uint16 retrieve_step(RetrieveState& st, bool cancelled, const char* sop_class, DcmDataset* ids,
                     DcmDataset** detail, DcmDataset** rsp_ids) {
  if (!st.started) start_retrieve(st, sop_class, ids);
  if (st.refused != 0) {
    log_warn(
        "dicom_retrieve_refused",
        {{"calling_ae", st.actor.calling_ae}, {"operation", st.operation}, {"reason", st.reason}});
    nlohmann::json event = {{"refused", st.reason}};
    if (!st.destination.empty()) event["destination"] = st.destination;
    st.settings.service->record(st.actor, st.operation, st.level, std::move(event));
    *detail = error_comment(st.reason);
    return st.refused;
  }
  // Sub-operations are sent until a progress interval has passed, then one Pending response
  // reports the counts. Pending responses are optional (PS3.4 C.4.2.3.1, C.4.3.3); one per
  // instance would cost both sides a message per instance for a progress bar. A C-GET's C-CANCEL
  // is still seen at once, arriving while a C-STORE response is awaited on the same
  // association; a C-MOVE's, on the caller's association, at the next Pending response.
  const auto until = std::chrono::steady_clock::now() + kProgressInterval;
  while (!cancelled && st.next < st.items.size()) {
    const auto& item = st.items[st.next++];
    SendOutcome sent;
    if (st.broken) {
      sent.reason = "the association broke";
    } else if (const auto path = st.settings.blobs->local_path(item.blob_key); !path) {
      sent.reason = "the blob store keeps no local file for " + item.blob_key;
    } else {
      SendRequest request{&item, *path, st.settings.staging_dir, st.settings.timeout_s};
      if (st.operation == "move") {
        request.move_ae = st.actor.calling_ae;
        request.move_id = st.request_id;
      }
      sent = send_instance(st.target, request);
      st.broken = sent.broken;
    }
    const auto& status = sent.status;
    const auto& reason = sent.reason;
    const bool peer_cancelled = sent.cancelled;
    if (!status || (*status & 0xF000) == 0xA000 || (*status & 0xF000) == 0xC000) {
      ++st.ops.failed;
      st.ops.failed_uids.push_back(item.sop_uid);
      if (!reason.empty()) {
        log_warn("dicom_suboperation_failed",
                 {{"sop_instance_uid", item.sop_uid}, {"reason", reason}});
      }
    } else if (*status == STATUS_Success) {
      ++st.ops.completed;
    } else {
      ++st.ops.warnings;
    }
    if (peer_cancelled) {
      cancelled = true;
    } else if (st.next < st.items.size() && std::chrono::steady_clock::now() >= until) {
      return STATUS_Pending;
    }
  }
  // Final: what was not sent because of a cancel counts as neither done nor failed.
  nlohmann::json event = {{"instances", st.items.size()},
                          {"completed", st.ops.completed},
                          {"failed", st.ops.failed},
                          {"warnings", st.ops.warnings},
                          {"cancelled", cancelled}};
  if (!st.destination.empty()) event["destination"] = st.destination;
  st.settings.service->record(st.actor, st.operation, st.level, std::move(event));
  if (!st.ops.failed_uids.empty()) {
    OFString list;
    for (const auto& uid : st.ops.failed_uids) {
      if (!list.empty()) list += "\\";
      list += uid.c_str();
    }
    *rsp_ids = new DcmDataset;
    (*rsp_ids)->putAndInsertOFStringArray(DCM_FailedSOPInstanceUIDList, list);
  }
  if (cancelled) return STATUS_MOVE_Cancel_SubOperationsTerminatedDueToCancelIndication;
  if (st.ops.failed > 0 && st.ops.completed + st.ops.warnings == 0)
    return STATUS_MOVE_Refused_OutOfResourcesSubOperations;
  if (st.ops.failed > 0 || st.ops.warnings > 0)
    return STATUS_MOVE_Warning_SubOperationsCompleteOneOrMoreFailures;
  return STATUS_Success;
}

template <typename Rsp>
void set_counts(const RetrieveState& st, Uint16 status, Rsp* rsp) {
  rsp->DimseStatus = status;
  const bool refused = st.refused != 0;
  rsp->NumberOfRemainingSubOperations =
      refused ? 0 : static_cast<Uint16>(st.items.size() - st.next);
  rsp->NumberOfCompletedSubOperations = static_cast<Uint16>(st.ops.completed);
  rsp->NumberOfFailedSubOperations = static_cast<Uint16>(st.ops.failed);
  rsp->NumberOfWarningSubOperations = static_cast<Uint16>(st.ops.warnings);
}

void get_step(void* data, OFBool cancelled, T_DIMSE_C_GetRQ* rq, DcmDataset* ids, int,
              T_DIMSE_C_GetRSP* rsp, DcmDataset** detail, DcmDataset** rsp_ids) {
  auto& st = *static_cast<RetrieveState*>(data);
  set_counts(st, retrieve_step(st, cancelled, rq->AffectedSOPClassUID, ids, detail, rsp_ids), rsp);
}

void move_step(void* data, OFBool cancelled, T_DIMSE_C_MoveRQ* rq, DcmDataset* ids, int,
               T_DIMSE_C_MoveRSP* rsp, DcmDataset** detail, DcmDataset** rsp_ids) {
  auto& st = *static_cast<RetrieveState*>(data);
  set_counts(st, retrieve_step(st, cancelled, rq->AffectedSOPClassUID, ids, detail, rsp_ids), rsp);
}

}  // namespace

const std::vector<const char*>& qr_sop_classes() {
  static const std::vector<const char*> classes = {
      UID_FINDStudyRootQueryRetrieveInformationModel,
      UID_FINDPatientRootQueryRetrieveInformationModel,
      UID_GETStudyRootQueryRetrieveInformationModel,
      UID_GETPatientRootQueryRetrieveInformationModel,
      UID_MOVEStudyRootQueryRetrieveInformationModel,
      UID_MOVEPatientRootQueryRetrieveInformationModel};
  return classes;
}

OFCondition serve_find(T_ASC_Association* assoc, T_ASC_PresentationContextID pc,
                       T_DIMSE_C_FindRQ& rq, const QrSettings& settings, const DimseActor& actor) {
  FindState st{settings, actor};
  return DIMSE_findProvider(assoc, pc, &rq, find_step, &st, DIMSE_NONBLOCKING, settings.timeout_s);
}

OFCondition serve_get(T_ASC_Association* assoc, T_ASC_PresentationContextID pc, T_DIMSE_C_GetRQ& rq,
                      const QrSettings& settings, const DimseActor& actor) {
  RetrieveState st{settings, actor, assoc, "get"};
  st.request_id = rq.MessageID;
  return DIMSE_getProvider(assoc, pc, &rq, get_step, &st, DIMSE_NONBLOCKING, settings.timeout_s);
}

OFCondition serve_move(T_ASC_Association* assoc, T_ASC_PresentationContextID pc,
                       T_DIMSE_C_MoveRQ& rq, const QrSettings& settings, const DimseActor& actor) {
  RetrieveState st{settings, actor, assoc, "move"};
  st.destination = rq.MoveDestination;
  while (!st.destination.empty() && st.destination.back() == ' ') st.destination.pop_back();
  st.request_id = rq.MessageID;
  return DIMSE_moveProvider(assoc, pc, &rq, move_step, &st, DIMSE_NONBLOCKING, settings.timeout_s);
}

}  // namespace carehub::dicom
