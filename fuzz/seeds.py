#!/usr/bin/python3
"""Writes the seed corpora in fuzz/corpus/<harness>/: small, valid-looking inputs that start
each harness deep inside its parser (the fuzzer mutates from there). Run it again after changing a
harness's input layout; files it does not write (crash inputs kept as regression tests) are left
alone.

    /usr/bin/python3 fuzz/seeds.py

Debian's python3 for pydicom (DICOM seeds) and python3-cryptography (signed JWT seeds).
"""
import base64
import io
import json
import pathlib
import re
import struct

ROOT = pathlib.Path(__file__).resolve().parent
CORPUS = ROOT / "corpus"


def write(harness, name, data):
    folder = CORPUS / harness
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())


class Fdp:
    """Builds input for libFuzzer's FuzzedDataProvider: strings come from the front, integers and
    booleans from the back (the last byte is consumed first)."""

    def __init__(self):
        self.front = bytearray()
        self.back = bytearray()  # in consumption order

    def integral(self, value, lo, hi):
        span, offset, consumed = hi - lo, 0, []
        while offset < 64 and (span >> offset) > 0:
            consumed.append(offset)
            offset += 8
        x = value - lo
        for i in range(len(consumed)):
            self.back.append((x >> (8 * (len(consumed) - 1 - i))) & 0xFF)
        return self

    def boolean(self, value):
        self.back.append(1 if value else 0)
        return self

    def u64(self, value):
        return self.integral(value, 0, 2**64 - 1)

    def string(self, text):  # ConsumeRandomLengthString: '\\' escapes, '\\' + other ends it
        raw = text.encode() if isinstance(text, str) else text
        self.front += raw.replace(b"\\", b"\\\\") + b"\\e"
        return self

    def rest(self, text):
        self.front += text.encode() if isinstance(text, str) else text
        return self

    def bytes(self):
        return bytes(self.front) + bytes(reversed(self.back))


# HTTP: one byte for the socket's read size, then what the client sends ---------------------------
def chunked(*pieces):
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p.encode()) for p in pieces) + b"0\r\n\r\n"


def http_seeds():
    crlf = lambda *lines: "\r\n".join(lines).encode()
    seeds = {
        "get_healthz": crlf("GET /healthz HTTP/1.1", "Host: 127.0.0.1", "", ""),
        "get_query": crlf(
            "GET /api/v1/persons?q=J%C3%B6rg+M%C3%BCller&limit=10&offset=20&sort= HTTP/1.1",
            "Host: h", "Authorization: Bearer abc.def.ghi", "X-Request-Id: req-1.2:3", "", ""),
        "get_params": crlf(
            "GET /api/v1/cases/12/documents/7%2F..%2F8/content HTTP/1.1", "Host: h",
            "Range: bytes=0-99", 'If-None-Match: W/"abc", "def"', "", ""),
        "dicom_frames": crlf(
            "GET /dicom-web/studies/1.2.3/series/1.2.3.4/instances/1.2.3.4.5/frames/1,2 HTTP/1.1",
            "Host: h", "Accept: multipart/related; type=application/octet-stream", "", ""),
        "qido": crlf(
            "GET /dicom-web/studies?PatientName=Doe*&StudyDate=20200101-&includefield=all HTTP/1.1",
            "Host: h", "", ""),
        "post_json": crlf("POST /api/v1/auth/login HTTP/1.1", "Host: h",
                          "Content-Type: application/json", "Content-Length: 39", "",
                          '{"email":"a@b.c","password":"secret12"}'),
        "post_chunked": crlf("POST /api/v1/person-records/match HTTP/1.1", "Host: h",
                             "Transfer-Encoding: chunked", "Content-Type: application/json", "",
                             "5;ext=1", '{"a":', "2", "1}", "0", "Trailer-Field: v", "", ""),
        "pipelined": crlf("GET /readyz HTTP/1.1", "Host: h", "", "PUT /api/v1/i18n/literals HTTP/1.1",
                          "Host: h", "Content-Length: 2", "", "{}GET /metrics HTTP/1.1",
                          "Host: h", "Connection: close", "", ""),
        "http10": crlf("GET /healthz HTTP/1.0", "Connection: keep-alive", "", ""),
        "expect_continue": crlf("POST /api/v1/notifications/devices HTTP/1.1", "Host: h",
                                "Expect: 100-continue", "Content-Length: 4", "", "null"),
        "upload_spooled": crlf(
            "POST /api/v1/person-records/import HTTP/1.1", "Host: h",
            "Content-Type: multipart/form-data; boundary=b0", "Transfer-Encoding: chunked", "",
            "") + chunked('--b0\r\nContent-Disposition: form-data; name="f"', "\r\n\r\nx\r\n--b0--"),
        "stow": crlf("POST /dicom-web/studies HTTP/1.1", "Host: h",
                     'Content-Type: multipart/related; type="application/dicom"; boundary=z',
                     "Content-Length: 9", "", "--z--\r\n\r\n"),
        "websocket_upgrade": crlf("GET /api/v1/notifications/ws?ticket=t HTTP/1.1", "Host: h",
                                  "Upgrade: websocket", "Connection: Upgrade",
                                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                                  "Sec-WebSocket-Version: 13", "", ""),
        "method_not_allowed": crlf("DELETE /healthz HTTP/1.1", "Host: h", "", ""),
        "bad_chunk": crlf("POST /api/v1/users HTTP/1.1", "Host: h", "Transfer-Encoding: chunked",
                          "", "fffffffffffffffff", "", ""),
        "folded_header": crlf("GET / HTTP/1.1", "Host: h", "X-A: 1", " continued", "", ""),
    }
    for i, (name, raw) in enumerate(seeds.items()):
        read_size = [0, 1, 7, 0, 13][i % 5]  # 0: whole reads
        write("http_request", name, bytes([read_size]) + raw)


# WebSocket: one byte (read size, top bit: own upgrade request), then the client's frames ---------
def ws_frame(opcode, payload, fin=True, mask=b"\x11\x22\x33\x44", rsv=0):
    head = bytes([(0x80 if fin else 0) | rsv | opcode])
    n = len(payload)
    bit = 0x80 if mask is not None else 0
    if n < 126:
        head += bytes([bit | n])
    elif n < 65536:
        head += bytes([bit | 126]) + struct.pack(">H", n)
    else:
        head += bytes([bit | 127]) + struct.pack(">Q", n)
    if mask is None:
        return head + payload
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def websocket_seeds():
    upgrade = ("GET /api/v1/notifications/ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n").encode()
    close = ws_frame(8, struct.pack(">H", 1000) + b"bye")
    seeds = {
        "text": bytes([0]) + ws_frame(1, b"hello") + close,
        "fragments": bytes([3]) + ws_frame(1, b"frag", fin=False) + ws_frame(9, b"p") +
        ws_frame(0, b"mented") + close,
        "binary16": bytes([0]) + ws_frame(2, bytes(300)) + close,
        "ping_pong": bytes([1]) + ws_frame(9, b"ping") + ws_frame(10, b"pong") + close,
        "bad_utf8": bytes([0]) + ws_frame(1, b"\xc3\x28"),
        "unmasked": bytes([0]) + ws_frame(1, b"x", mask=None),
        "too_big": bytes([0]) + ws_frame(2, b"", mask=b"\0\0\0\0")[:2] + b"\xff" * 8,
        "rsv_bits": bytes([0]) + ws_frame(1, b"x", rsv=0x40),
        "close_bad_code": bytes([0]) + ws_frame(8, struct.pack(">H", 999)),
        "own_upgrade": bytes([0x80]) + upgrade + ws_frame(1, b"after upgrade") + close,
        "own_upgrade_v8": bytes([0x85]) + upgrade.replace(b"Version: 13", b"Version: 8"),
    }
    for name, raw in seeds.items():
        write("websocket", name, raw)


# Multipart: one byte (small read size), the Content-Type value, LF, the body ----------------------
def multipart_seeds():
    form = (b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a b.csv\"\r\n"
            b"Content-Type: text/csv\r\n\r\nname,dob\r\nAna,1990-01-02\r\n"
            b"--XyZ\r\nContent-Disposition: form-data; name=\"config_id\"\r\n\r\n1\r\n--XyZ--\r\n")
    seeds = {
        "form": b"\x05multipart/form-data; boundary=XyZ\n" + form,
        "quoted_boundary": b"\x01multipart/form-data; boundary=\"a b:c\"\n"
        b"preamble\r\n--a b:c  \r\nContent-Disposition: form-data; name=x\r\n\r\n"
        b"v\r\n--a b:c--epilogue",
        "related_dicom": b"\x10multipart/related; type=\"application/dicom\"; boundary=zz\n"
        b"--zz\r\nContent-Type: application/dicom\r\n\r\nDICM\r\n--zz\r\n"
        b"Content-Type: application/dicom\r\n\r\n\r\n--zz--",
        "ext_filename": b"\x02multipart/form-data; boundary=q\n--q\nContent-Disposition: "
        b"form-data; name=\"f\"; filename=\"x.pdf\"; filename*=UTF-8''%E2%82%AC%20rates.pdf\n\n"
        b"%PDF\r\n--q--",
        "latin1_filename": b"\x07multipart/form-data; boundary=q\n--q\r\nContent-Disposition: "
        b"attachment; filename*=iso-8859-1'en'%A3%20rates\r\n\r\n\r\n--q--\r\n",
        "folded_header": b"\x03multipart/mixed; boundary=b\n--b\r\nX-Long: one\r\n two\r\n\r\n"
        b"body\r\n--b--",
        "truncated": b"\x04multipart/form-data; boundary=b\n--b\r\nContent-Type: text/plain\r\n\r\n"
        b"never closed",
        "no_opening": b"\x06multipart/form-data; boundary=b\njust text\r\n",
        "windows_path": b"\x09multipart/form-data; boundary=b\n--b\r\nContent-Disposition: "
        b"form-data; name=\"f\"; filename=\"C:\\dir\\\"q\".txt\"\r\n\r\n\r\n--b--",
        "empty_parts": b"\x0bmultipart/form-data; boundary=b\n--b\r\n\r\n\r\n--b\r\n--b--",
    }
    for name, raw in seeds.items():
        write("multipart", name, raw)


# JSON: a request body ----------------------------------------------------------------------------
def json_seeds():
    seeds = {
        "object": '{"email":"a@b.c","roles":["physician"],"active":true,"n":null}',
        "numbers": "[0,-0,1.5e3,-2E-5,9007199254740993,18446744073709551615,"
        "-9223372036854775808,1e308,0.1]",
        "unicode": '{"name":"J\\u00f6rg \\ud83d\\ude00","raw":"\u00e9\u4e2d"}',
        "nested": "[" * 40 + "{}" + "]" * 40,
        "escapes": '"\\"\\\\\\/\\b\\f\\n\\r\\t"',
        "whitespace": ' \t\n\r{ "a" : [ 1 , 2 ] } ',
        "invalid": '{"a":}',
        "bom": "\ufeff{}",
        "group": '{"resourceType":"Bundle","entry":[{"resource":{"id":"1","value":3.25}}]}',
    }
    for name, text in seeds.items():
        write("json", name, text)


# CSV: two bytes (read piece size; limits), then the file ------------------------------------------
def csv_seeds():
    header = ("source_id,given_name,family_name,date_of_birth,sex,street,postcode,city,"
              "phone,national_id\r\n")
    seeds = {
        "import": b"\x03\x00" + (header + "r1,Ana,Gomez,1990-01-02,F,Calle 1,28001,Madrid,"
                                 "600000000,X1\r\nr2,Luis,Perez,,M,,,,,\r\n").encode(),
        "quoted": b"\x01\x00" + b'a,"b ""q"" c","multi\r\nline",d\n"",x\r\n',
        "bom_cr": b"\x05\x00\xef\xbb\xbfa,b\rc,d\r\re,f",
        "errors": b"\x02\x00" + b'a,"b"x,c\nd,"unterminated\n',
        "nul": b"\x04\x00" + b"a,\x00,b\nc\n",
        "limits": b"\x01\x07" + b"abcdef,ghijkl,mnop\n1,2,3,4,5,6,7,8,9,10\n",
        "empty_lines": b"\x09\x00" + b"\n\n\r\n,\n,,\n",
    }
    for name, raw in seeds.items():
        write("csv", name, raw)


# DICOM: Part 10 files made with pydicom ----------------------------------------------------------
def dicom_seeds():
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.encaps import encapsulate
    from pydicom.sequence import Sequence
    from pydicom.uid import (ExplicitVRBigEndian, ExplicitVRLittleEndian,
                             ImplicitVRLittleEndian, JPEGBaseline8Bit)

    def instance(syntax, private=None, **extra):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
        meta.MediaStorageSOPInstanceUID = "1.2.3.4.5.6"
        meta.TransferSyntaxUID = syntax
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID = meta.MediaStorageSOPClassUID
        ds.SOPInstanceUID = "1.2.3.4.5.6"
        ds.StudyInstanceUID = "1.2.3"
        ds.SeriesInstanceUID = "1.2.3.4"
        ds.PatientID = "P-1"
        ds.PatientName = "Doe^Jane"
        ds.PatientBirthDate = "19800101"
        ds.StudyDate = "20240102"
        ds.Modality = "OT"
        for key, value in extra.items():
            setattr(ds, key, value)
        if private:
            ds.add_new(private[0], private[1], private[2])
        ds.is_little_endian = syntax != ExplicitVRBigEndian
        ds.is_implicit_VR = syntax == ImplicitVRLittleEndian
        out = io.BytesIO()
        ds.save_as(out, write_like_original=False)
        return out.getvalue()

    pixels = dict(Rows=4, Columns=4, BitsAllocated=8, BitsStored=8, HighBit=7,
                  SamplesPerPixel=1, PixelRepresentation=0, PhotometricInterpretation="MONOCHROME2")
    write("dicom", "explicit_le", instance(ExplicitVRLittleEndian, **pixels, PixelData=bytes(16)))
    write("dicom", "implicit_le_2frames",
          instance(ImplicitVRLittleEndian, **pixels, NumberOfFrames=2, PixelData=bytes(range(32))))
    write("dicom", "big_endian", instance(ExplicitVRBigEndian, **dict(pixels, BitsAllocated=16,
                                                                      BitsStored=16, HighBit=15),
                                          PixelData=bytes(32)))
    write("dicom", "encapsulated", instance(JPEGBaseline8Bit, **pixels,
                                            PixelData=encapsulate([b"\xff\xd8\xff\xd9"])))
    item = Dataset()
    item.ReferencedSOPInstanceUID = "1.2.3.9"
    item.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    write("dicom", "sequence_latin1",
          instance(ExplicitVRLittleEndian, SpecificCharacterSet="ISO_IR 100",
                   StudyDescription="R\xe9sum\xe9", ReferencedImageSequence=Sequence([item])))
    write("dicom", "no_pixels", instance(ExplicitVRLittleEndian))
    # A private OB value above the bulk-data threshold (1 KiB): a BulkDataURI in the metadata.
    write("dicom", "private_bulk", instance(ExplicitVRLittleEndian, (0x00091001, "OB", bytes(1100)),
                                            **pixels, PixelData=bytes(16)))
    # Sequences nested around the walk's cap (32): just under it, over it, in implicit VR (no VR
    # to say SQ: the dictionary does) and deflated (the walk inflates first).
    def nested(depth):
        inner = Dataset()
        inner.CodeValue = "X"
        for _ in range(depth - 1):
            outer = Dataset()
            outer.ContentSequence = Sequence([inner])
            inner = outer
        return Sequence([inner])
    from pydicom.uid import DeflatedExplicitVRLittleEndian
    write("dicom", "nested_31", instance(ExplicitVRLittleEndian, ContentSequence=nested(31)))
    write("dicom", "nested_40", instance(ExplicitVRLittleEndian, ContentSequence=nested(40)))
    write("dicom", "nested_40_implicit", instance(ImplicitVRLittleEndian,
                                                  ContentSequence=nested(40)))
    write("dicom", "nested_40_deflated", instance(DeflatedExplicitVRLittleEndian,
                                                  ContentSequence=nested(40)))
    write("dicom", "not_part10", b"\0" * 128 + b"DICX")
    write("dicom", "truncated", instance(ExplicitVRLittleEndian, **pixels,
                                         PixelData=bytes(16))[:300])


# JWT: FuzzedDataProvider input; see jwt_fuzz.cpp ---------------------------------------------------
def jwt_seeds():
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, utils

    pems = dict(re.findall(r'inline constexpr const char\* (\w+) = R"\(\n(.*?)\)";',
                           (ROOT / "jwt_keys.hpp").read_text(), re.S))
    ed = serialization.load_pem_private_key(pems["kEd25519Pem"].encode(), None)
    p256 = serialization.load_pem_private_key(pems["kP256Pem"].encode(), None)
    b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()

    def token(header, claims, key):
        signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
        if isinstance(key, ed25519.Ed25519PrivateKey):
            sig = key.sign(signing_input.encode())
        else:
            r, s = utils.decode_dss_signature(key.sign(signing_input.encode(),
                                                       ec.ECDSA(hashes.SHA256())))
            sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return signing_input + "." + b64(sig)

    claims = {"iss": "https://id.example", "aud": "carehub", "sub": "u1", "exp": 1800000000,
              "iat": 1699999990, "nbf": 1699999990, "scope": "dicom:read"}
    good_ed = token({"alg": "EdDSA", "typ": "JWT", "kid": "ed"}, claims, ed)
    good_ec = token({"alg": "ES256", "kid": "ec"}, claims, p256)
    jwks = {"keys": [
        {"kty": "OKP", "crv": "Ed25519", "kid": "ed", "alg": "EdDSA", "use": "sig",
         "x": b64(ed.public_key().public_bytes(serialization.Encoding.Raw,
                                               serialization.PublicFormat.Raw))},
        {"kty": "EC", "crv": "P-256", "kid": "ec", "key_ops": ["verify"],
         "x": b64(p256.public_key().public_numbers().x.to_bytes(32, "big")),
         "y": b64(p256.public_key().public_numbers().y.to_bytes(32, "big"))},
        {"kty": "RSA", "kid": "r", "n": "sXch", "e": "AQAB"},
        {"kty": "oct", "k": "c2VjcmV0"}]}
    seeds = {
        "raw_valid_ed": Fdp().integral(0, 0, 3).integral(0, 0, 2).rest(good_ed),
        "raw_valid_ec": Fdp().integral(0, 0, 3).integral(1, 0, 2).rest(good_ec),
        "raw_none_alg": Fdp().integral(0, 0, 3).integral(0, 0, 2).rest(
            b64(b'{"alg":"none"}') + "." + b64(json.dumps(claims).encode()) + "."),
        "raw_two_dots": Fdp().integral(0, 0, 3).integral(0, 0, 2).rest("a.b"),
        "header_hs256": Fdp().integral(1, 0, 3).integral(0, 0, 2).string(
            '{"alg":"HS256","kid":"ed"}').rest(json.dumps(claims)),
        "header_crit": Fdp().integral(1, 0, 3).integral(1, 0, 2).string(
            '{"alg":"ES256","kid":"ec","crit":["x"]}').rest(json.dumps(claims)),
        "header_nokid": Fdp().integral(1, 0, 3).integral(2, 0, 2).string(
            '{"alg":"RS256"}').rest(json.dumps(claims)),
        "claims_valid": Fdp().integral(2, 0, 3).integral(0, 0, 2).rest(json.dumps(claims)),
        "claims_aud_list": Fdp().integral(2, 0, 3).integral(1, 0, 2).rest(json.dumps(
            dict(claims, aud=["other", "carehub"], exp=1.8e9))),
        "claims_expired": Fdp().integral(2, 0, 3).integral(0, 0, 2).rest(json.dumps(
            dict(claims, exp=1600000000))),
        "claims_types": Fdp().integral(2, 0, 3).integral(0, 0, 2).rest(
            '{"iss":"https://id.example","exp":"1800000000","nbf":null,"aud":7}'),
        "claims_rsa": Fdp().integral(2, 0, 3).integral(2, 0, 2).rest(json.dumps(claims)),
        "jwks": Fdp().integral(3, 0, 3).integral(0, 0, 2).rest(json.dumps(jwks)),
        "jwks_ec": Fdp().integral(3, 0, 3).integral(1, 0, 2).rest(json.dumps(jwks)),
    }
    for name, fdp in seeds.items():
        write("jwt", name, fdp.bytes())


# Configuration files ------------------------------------------------------------------------------
def config_seeds():
    for example in ["clinic.example.json", "container.json", "development.json"]:
        write("config", example.replace(".json", ""),
              (ROOT.parent / "config" / example).read_bytes())
    seeds = {
        "nested_sections": '{"auth": {"oidc": {}}, "server": {"port": 0, "max_header_bytes": 1024}}',
        "unknown_key": '{"server": {"prot": 1}}',
        "wrong_type": '{"jobs": {"queues": "a,b", "enabled": 1}}',
        "secret_file": '{"database": {"url_file": "/nonexistent/secret"}}',
        "tracing_states": '{"tracing": {"states": [{"id": 1, "name": "Healthy", "severity": 0,'
        ' "contact_discovery": false}, {"id": 2, "name": "At risk", "severity": 5}],'
        ' "initial_status_id": 1, "exposure_status_id": 2}}',
        "dicom_callers": '{"dicom": {"dimse_port": 11112, "allowed_callers": ["SCU=scanner"]}}',
        "notify_webhook": '{"notify": {"push_provider": "webhook",'
        ' "push_webhook_url": "http://127.0.0.1:9/api/push"}}',
        "comments": '// a comment\n{/* block */"log": {"level": "warn"}}',
        "not_object": "[1,2,3]",
    }
    for name, text in seeds.items():
        write("config", name, text)


# QIDO-RS: one byte (level: study, series, instance), then the query string ------------------------
def qido_seeds():
    seeds = [
        (0, "PatientName=Doe*&limit=10&offset=5&includefield=00100010,StudyDate"),
        (0, "StudyDate=20200101-20201231&PatientBirthDate=-19991231&fuzzymatching=true"),
        (1, "StudyInstanceUID=1.2.3,1.2.4%5C1.2.5&Modality=CT&SeriesNumber=3"),
        (2, "SOPInstanceUID=1.2.840.10008.1.2&00080016=1.2&InstanceNumber=1&includefield=all"),
        (0, "ModalitiesInStudy=CT%5CMR&AccessionNumber=A%3F1&ReferringPhysicianName=*"),
        (0, "SeriesInstanceUID=1.2&limit=0"),
        (2, "PatientID=P-1&PatientSex=F&StudyID=&00200013=2&includefield=7FE00010"),
        (1, "NotAKeyword=1&limit=abc"),
    ]
    for i, (level, query) in enumerate(seeds):
        write("qido", f"query{i}", bytes([level]) + query.encode())


# Download: FuzzedDataProvider input; see download_fuzz.cpp --------------------------------------
def download_seeds():
    def seed(size, filename, range_header=None, inm=None, small=True):
        f = Fdp().boolean(small)
        f = f.integral(size, 0, 4096) if small else f.u64(size)
        f.string(filename)
        f.boolean(range_header is not None)
        if range_header is not None:
            f.string(range_header)
        f.boolean(inm is not None)
        if inm is not None:
            f.rest(inm)
        return f.bytes()

    seeds = {
        "whole": seed(100, "report.pdf"),
        "range": seed(1000, "scan 1.png", "bytes=10-19"),
        "suffix": seed(1000, "a", "bytes=-100"),
        "open_end": seed(50, "b", "bytes=40-"),
        "past_end": seed(50, "c", "bytes=50-60"),
        "multi": seed(50, "d", "bytes=0-1,5-6"),
        "not_bytes": seed(50, "e", "items=0-1"),
        "etag": seed(10, "f", None, 'W/"' + "a" * 64 + '"'),
        "etag_list": seed(10, "g", "bytes=0-0", ' "x" , "' + "a" * 64 + '" '),
        "star": seed(10, "h", None, "*"),
        "huge": seed(2**63, "\u00fcber\r\nX: y.txt", "bytes=9223372036854775800-", small=False),
        "empty": seed(0, "", "bytes=-1"),
    }
    for name, raw in seeds.items():
        write("download", name, raw)


if __name__ == "__main__":
    http_seeds()
    websocket_seeds()
    multipart_seeds()
    json_seeds()
    csv_seeds()
    dicom_seeds()
    jwt_seeds()
    config_seeds()
    qido_seeds()
    download_seeds()
