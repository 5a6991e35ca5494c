#include "dicom/dimse_send.hpp"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmnet/dcmtrans.h>
#include <dcmtk/dcmnet/dul.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "carehub/spool.hpp"
#include "carehub/unique_fd.hpp"
#include "dicom/grey_header.hpp"
#include "dicom/transcode.hpp"

namespace carehub::dicom {
namespace {

constexpr std::size_t kPreamble = 128;
constexpr std::size_t kMetaStart = kPreamble + 4;  // after "DICM"

// Where the data set starts in a Part 10 file whose file meta group opens with its group length
// ((0002,0000) UL, as the standard requires and every writer we store from does); nullopt for
// any other layout, which is then sent the slow way.
std::optional<std::uint64_t> dataset_offset(int fd) {
  unsigned char head[kMetaStart + 12];
  if (::pread(fd, head, sizeof head, 0) != static_cast<ssize_t>(sizeof head)) return std::nullopt;
  if (std::memcmp(head + kPreamble, "DICM", 4) != 0) return std::nullopt;
  const unsigned char group_length[8] = {0x02, 0x00, 0x00, 0x00, 'U', 'L', 0x04, 0x00};
  if (std::memcmp(head + kMetaStart, group_length, sizeof group_length) != 0) return std::nullopt;
  const unsigned char* v = head + kMetaStart + 8;
  const std::uint32_t length = v[0] | (v[1] << 8) | (v[2] << 16) | (std::uint32_t{v[3]} << 24);
  return kMetaStart + 12 + std::uint64_t{length};
}

OFCondition write_pdv(T_ASC_Association* assoc, T_ASC_PresentationContextID pid, DUL_DATAPDV type,
                      unsigned char* data, unsigned long length, bool last) {
  DUL_PDV pdv{};
  pdv.fragmentLength = length;
  pdv.presentationContextID = pid;
  pdv.pdvType = type;
  pdv.lastPDV = last ? OFTrue : OFFalse;
  pdv.data = data;
  DUL_PDVLIST list{};
  list.count = 1;
  list.pdv = &pdv;
  return DUL_WritePDVs(&assoc->DULassociation, &list);
}

// The C-STORE-RQ command set, encoded as every command is (Implicit VR Little Endian, with its
// group length), in one PDV.
OFCondition send_command(T_ASC_Association* assoc, T_ASC_PresentationContextID pid,
                         const T_DIMSE_C_StoreRQ& rq) {
  DcmDataset cmd;
  cmd.putAndInsertUint32(DCM_CommandGroupLength, 0);  // computed as it is written
  cmd.putAndInsertString(DCM_AffectedSOPClassUID, rq.AffectedSOPClassUID);
  cmd.putAndInsertUint16(DCM_CommandField, DIMSE_C_STORE_RQ);
  cmd.putAndInsertUint16(DCM_MessageID, rq.MessageID);
  cmd.putAndInsertUint16(DCM_Priority, DIMSE_PRIORITY_MEDIUM);
  cmd.putAndInsertUint16(DCM_CommandDataSetType, static_cast<Uint16>(DIMSE_DATASET_PRESENT));
  cmd.putAndInsertString(DCM_AffectedSOPInstanceUID, rq.AffectedSOPInstanceUID);
  if (rq.opts & O_STORE_MOVEORIGINATORAETITLE) {
    cmd.putAndInsertString(DCM_MoveOriginatorApplicationEntityTitle,
                           rq.MoveOriginatorApplicationEntityTitle);
    cmd.putAndInsertUint16(DCM_MoveOriginatorMessageID, rq.MoveOriginatorID);
  }
  const E_TransferSyntax ts = EXS_LittleEndianImplicit;
  OFCondition cond =
      cmd.computeGroupLengthAndPadding(EGL_recalcGL, EPD_noChange, ts, EET_ExplicitLength);
  if (cond.bad()) return cond;
  std::vector<unsigned char> bytes(cmd.getLength(ts, EET_ExplicitLength));
  DcmOutputBufferStream out(bytes.data(), bytes.size());
  cmd.transferInit();
  cond = cmd.write(out, ts, EET_ExplicitLength, nullptr, EGL_recalcGL);
  cmd.transferEnd();
  if (cond.bad()) return cond;
  void* written = nullptr;
  offile_off_t length = 0;
  out.flushBuffer(written, length);
  return write_pdv(assoc, pid, DUL_COMMANDPDV, bytes.data(), static_cast<unsigned long>(length),
                   true);
}

// The socket under a plain TCP association; -1 under TLS (whose bytes only DCMTK may write).
// DcmTransportConnection keeps its socket protected: a member pointer named through a derived
// class reads it without a copy of DCMTK's code.
int plain_socket(T_ASC_Association* assoc) {
  struct Peek : DcmTransportConnection {
    static int socket_of(DcmTransportConnection* c) { return (c->*&Peek::getSocket)(); }
  };
  DcmTransportConnection* c = DUL_getTransportConnection(assoc->DULassociation);
  if (c == nullptr || !c->isTransparentConnection()) return -1;
  return Peek::socket_of(c);
}

bool wait_writable(int sock, int timeout_s) {
  pollfd p{sock, POLLOUT, 0};
  return ::poll(&p, 1, timeout_s * 1000) == 1;
}

bool send_all(int sock, const unsigned char* data, std::size_t n, int timeout_s) {
  while (n > 0) {
    const ssize_t w = ::send(sock, data, n, MSG_NOSIGNAL | MSG_MORE);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait_writable(sock, timeout_s))
      continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool sendfile_all(int sock, int fd, off_t at, std::size_t n, int timeout_s) {
  while (n > 0) {
    const ssize_t w = ::sendfile(sock, fd, &at, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait_writable(sock, timeout_s))
      continue;
    if (w <= 0) return false;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

void put_be32(unsigned char* p, std::uint32_t v) {
  p[0] = static_cast<unsigned char>(v >> 24);
  p[1] = static_cast<unsigned char>(v >> 16);
  p[2] = static_cast<unsigned char>(v >> 8);
  p[3] = static_cast<unsigned char>(v);
}

// The stored data set's bytes as P-DATA-TF PDUs of one PDV each (PS3.8 9.3.5), no larger than
// the peer takes. Under plain TCP each PDU's 12-byte header is written and its data handed from
// the page cache to the socket by sendfile, copied by nobody; under TLS they go through DCMTK a
// buffer at a time.
OFCondition send_file_dataset(T_ASC_Association* assoc, T_ASC_PresentationContextID pid, int fd,
                              std::uint64_t from, std::uint64_t to, int timeout_s) {
  const std::uint64_t capacity = assoc->sendPDVLength;
  const int sock = plain_socket(assoc);
  std::uint64_t at = from;
  while (at < to) {
    const auto n = static_cast<std::size_t>(std::min(capacity, to - at));
    const bool last = at + n == to;
    if (sock >= 0) {
      unsigned char head[12] = {0x04, 0x00};
      put_be32(head + 2, static_cast<std::uint32_t>(n + 6));  // the PDU: one PDV item
      put_be32(head + 6, static_cast<std::uint32_t>(n + 2));  // the PDV: context, header, data
      head[10] = pid;
      head[11] = last ? 0x02 : 0x00;  // data set, last fragment or not
      if (!send_all(sock, head, sizeof head, timeout_s) ||
          !sendfile_all(sock, fd, static_cast<off_t>(at), n, timeout_s))
        return DIMSE_SENDFAILED;
    } else {
      unsigned char* buffer = assoc->sendPDVBuffer;
      if (!read_exactly(fd, buffer, n, at)) return DIMSE_SENDFAILED;
      const OFCondition cond = write_pdv(assoc, pid, DUL_DATASETPDV, buffer, n, last);
      if (cond.bad()) return cond;
    }
    at += n;
  }
  return EC_Normal;
}

// Waits for the C-STORE-RSP of rq (a C-CANCEL of the C-GET may come first).
SendOutcome receive_response(T_ASC_Association* assoc, const T_DIMSE_C_StoreRQ& rq, int timeout) {
  SendOutcome out;
  while (true) {
    T_DIMSE_Message rsp{};
    T_ASC_PresentationContextID pid = 0;
    DcmDataset* detail = nullptr;
    const OFCondition cond =
        DIMSE_receiveCommand(assoc, DIMSE_NONBLOCKING, timeout, &pid, &rsp, &detail);
    delete detail;
    if (cond.bad()) {
      out.reason = std::string("no C-STORE response: ") + cond.text();
      out.broken = true;
      return out;
    }
    if (rsp.CommandField == DIMSE_C_CANCEL_RQ) {
      out.cancelled = true;
      continue;
    }
    if (rsp.CommandField != DIMSE_C_STORE_RSP ||
        rsp.msg.CStoreRSP.MessageIDBeingRespondedTo != rq.MessageID) {
      out.reason = "the peer answered a C-STORE with another message";
      out.broken = true;
      return out;
    }
    out.status = rsp.msg.CStoreRSP.DimseStatus;
    return out;
  }
}

SendOutcome fail(std::string reason, bool broken = false) {
  SendOutcome out;
  out.reason = std::move(reason);
  out.broken = broken;
  return out;
}

}  // namespace

SendOutcome send_instance(T_ASC_Association* assoc, const SendRequest& request) {
  const RetrieveItem& item = *request.item;
  const T_ASC_PresentationContextID pid = ASC_findAcceptedPresentationContextID(
      assoc, item.sop_class_uid.c_str(), item.transfer_syntax_uid.c_str());
  T_ASC_PresentationContext pc;
  if (pid == 0 || ASC_findAcceptedPresentationContext(assoc->params, pid, &pc).bad())
    return fail("no presentation context for SOP class " + item.sop_class_uid + " was accepted");
  T_DIMSE_C_StoreRQ rq{};
  rq.MessageID = assoc->nextMsgID++;
  OFStandard::strlcpy(rq.AffectedSOPClassUID, item.sop_class_uid.c_str(),
                      sizeof rq.AffectedSOPClassUID);
  OFStandard::strlcpy(rq.AffectedSOPInstanceUID, item.sop_uid.c_str(),
                      sizeof rq.AffectedSOPInstanceUID);
  rq.DataSetType = DIMSE_DATASET_PRESENT;
  rq.Priority = DIMSE_PRIORITY_MEDIUM;
  if (!request.move_ae.empty()) {
    OFStandard::strlcpy(rq.MoveOriginatorApplicationEntityTitle, request.move_ae.c_str(),
                        sizeof rq.MoveOriginatorApplicationEntityTitle);
    rq.MoveOriginatorID = request.move_id;
    rq.opts |= O_STORE_MOVEORIGINATORAETITLE | O_STORE_MOVEORIGINATORID;
  }
  const std::string accepted = pc.acceptedTransferSyntax;

  if (accepted == item.transfer_syntax_uid) {
    UniqueFd fd(::open(request.path.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0)
      return fail("instance " + item.sop_uid + " cannot be read");
    const auto offset = dataset_offset(fd.get());
    if (offset && *offset < static_cast<std::uint64_t>(st.st_size)) {
      ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
      OFCondition cond = send_command(assoc, pid, rq);
      if (cond.good())
        cond = send_file_dataset(assoc, pid, fd.get(), *offset,
                                 static_cast<std::uint64_t>(st.st_size), request.timeout_s);
      if (cond.bad()) return fail(std::string("the C-STORE failed: ") + cond.text(), true);
      return receive_response(assoc, rq, request.timeout_s);
    }
  } else if (DcmXfer(accepted.c_str()).isEncapsulated()) {
    return fail("instance " + item.sop_uid + " cannot be converted to " + accepted);
  }

  // Decoded (or an unusual file layout): one instance in memory, compressed pixel data first
  // decoded to a scratch file frame by frame.
  std::shared_ptr<SpooledBody> scratch;
  std::string from = request.path;
  if (accepted != item.transfer_syntax_uid &&
      DcmXfer(item.transfer_syntax_uid.c_str()).isEncapsulated()) {
    scratch = SpooledBody::create(request.staging_dir, true);
    scratch->finish();
    const auto written = transcode_to_explicit_le(request.path, scratch->path());
    if (!written)
      return fail("instance " + item.sop_uid + " cannot be decoded: " + written.error());
    from = scratch->path();
  }
  DcmFileFormat file;
  if (file.loadFile(from.c_str()).bad())
    return fail("instance " + item.sop_uid + " cannot be read");
  T_DIMSE_C_StoreRSP rsp{};
  DcmDataset* detail = nullptr;
  T_DIMSE_DetectedCancelParameters cancel{};
  const OFCondition cond =
      DIMSE_storeUser(assoc, pid, &rq, nullptr, file.getDataset(), nullptr, nullptr,
                      DIMSE_NONBLOCKING, request.timeout_s, &rsp, &detail, &cancel);
  delete detail;
  if (cond.bad()) return fail(std::string("the C-STORE failed: ") + cond.text(), true);
  SendOutcome out;
  out.status = rsp.DimseStatus;
  out.cancelled = cancel.cancelEncountered;
  return out;
}

}  // namespace carehub::dicom
